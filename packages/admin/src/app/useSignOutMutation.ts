import { useApolloClient, useMutation } from '@apollo/client/react';
import { useNavigate } from 'react-router';
import { useToastOutcome } from './toasts';
import { SignOutDocument } from '@offload/types/graphql';

/** Signs out, forgets everything cached for this admin and goes to sign-in; a failure is toasted. */
export function useSignOutMutation() {
  const client = useApolloClient();
  const navigate = useNavigate();
  const [signOut, { loading }] = useMutation(SignOutDocument);
  const toastOutcome = useToastOutcome();
  const run = async () => {
    if (!(await toastOutcome(signOut()))) return;
    await client.clearStore();
    navigate('/sign-in', { replace: true });
  };
  return [run, { loading }] as const;
}

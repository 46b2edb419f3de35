import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { apolloClient, BASENAME } from './app/apollo';
import { Layout } from './app/Layout';
import { ApiTokensPage } from './routes/api-tokens/ApiTokensPage';
import { OverviewPage } from './routes/overview/OverviewPage';
import { SignInPage } from './routes/sign-in/SignInPage';
import './styles.css';

const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignInPage /> },
    {
      element: <Layout />,
      children: [
        { index: true, element: <OverviewPage /> },
        { path: 'api-tokens', element: <ApiTokensPage /> },
      ],
    },
  ],
  { basename: BASENAME },
);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={apolloClient}>
      <RouterProvider router={router} />
    </ApolloProvider>
  </StrictMode>,
);

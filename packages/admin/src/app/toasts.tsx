import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { describeError } from './apollo';

type Toast = { id: number; kind: 'success' | 'error'; message: string; details?: string[] };
const ToastContext = createContext<(toast: Omit<Toast, 'id'>) => void>(() => undefined);

/** Green for success, red with the server's exact words for failure; errors stay until dismissed. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = (id: number) => setToasts((all) => all.filter((t) => t.id !== id));
  const push = useCallback((toast: Omit<Toast, 'id'>) => {
    const id = Date.now() + Math.random();
    setToasts((all) => [...all, { ...toast, id }]);
    if (toast.kind === 'success') setTimeout(() => dismiss(id), 6000);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts">
        {toasts.map((t) => (
          <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${t.kind}`}>
            <p>{t.message}</p>
            {t.details?.map((d) => (
              <p key={d} className="toast-detail">
                {d}
              </p>
            ))}
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export const useToast = () => useContext(ToastContext);

/**
 * For the one hook that owns a mutation: awaits it and toasts how it went, `success(data)` in
 * green (nothing when left out) or the server's words in red. Resolves to the data, or to
 * undefined once the failure is toasted, so no screen needs a try/catch of its own.
 */
export function useToastOutcome() {
  const toast = useToast();
  return useCallback(
    async <TData,>(mutation: Promise<{ data?: TData | null }>, success?: (data: TData) => string): Promise<TData | undefined> => {
      try {
        const { data } = await mutation;
        if (data && success) toast({ kind: 'success', message: success(data) });
        return data ?? undefined;
      } catch (error) {
        toast({ kind: 'error', message: describeError(error) });
        return undefined;
      }
    },
    [toast],
  );
}

import { useToast } from '../app/toasts';

/** Copies `text` and says so in a toast; `label` tells a screen reader what "Copy" copies. */
export function CopyButton({ text, label, copied }: { text: string; label?: string; copied: string }) {
  const toast = useToast();
  const copy = async () => {
    try {
      // Browsers offer the clipboard to secure pages only (https, or this machine).
      if (!navigator.clipboard) throw new Error('this page is not served over https. Select the text and copy it instead.');
      await navigator.clipboard.writeText(text);
      toast({ kind: 'success', message: copied });
    } catch (error) {
      toast({ kind: 'error', message: `Could not copy: ${(error as Error).message}` });
    }
  };
  return (
    <button type="button" onClick={copy} aria-label={label}>
      Copy
    </button>
  );
}

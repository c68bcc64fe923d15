import { useEffect, useState } from "react";

/**
 * Copies ``text`` to the clipboard and says so. Where the browser has no clipboard API (a page
 * served over plain HTTP from another host) or refuses, ``select`` puts the text under the
 * selection (select-all of its box) and the old copy command is tried; failing that, the message
 * asks to press Ctrl+C.
 */
export function CopyButton({ text, label = "Copy", what, select }: { text: string; label?: string; what?: string; select?: () => void }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state !== "copied") return;
    const timer = window.setTimeout(() => setState("idle"), 4000);
    return () => window.clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      if (select) {
        select();
        let copied = false;
        try {
          copied = document.execCommand?.("copy") ?? false;
        } catch {
          copied = false;
        }
        if (copied) {
          setState("copied");
          return;
        }
      }
      setState("failed");
    }
  };
  return (
    <span className="copy">
      <button type="button" className="button small" onClick={copy} aria-label={what ? `${label} ${what}` : undefined}>
        {label}
      </button>
      <span className="copy-state" role="status">
        {state === "copied"
          ? "Copied."
          : state === "failed"
            ? select
              ? "The browser did not allow copying: the text is selected, press Ctrl+C (⌘C)."
              : "The browser did not allow copying: select the text and copy it."
            : ""}
      </span>
    </span>
  );
}

/** Selects the whole text of an input, or of any element (a <pre>), for copying by hand. */
export function selectAll(element: HTMLElement | null) {
  if (!element) return;
  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
    element.focus();
    element.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

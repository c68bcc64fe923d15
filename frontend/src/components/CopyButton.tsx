import { useEffect, useState } from "react";

/** Copies ``text`` to the clipboard and says so; where the browser refuses, asks to copy by hand. */
export function CopyButton({ text, label = "Copy", what }: { text: string; label?: string; what?: string }) {
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
      setState("failed");
    }
  };
  return (
    <span className="copy">
      <button type="button" className="button small" onClick={copy} aria-label={what ? `${label} ${what}` : undefined}>
        {label}
      </button>
      <span className="copy-state" role="status">
        {state === "copied" ? "Copied." : state === "failed" ? "The browser did not allow copying: select the text and copy it." : ""}
      </span>
    </span>
  );
}

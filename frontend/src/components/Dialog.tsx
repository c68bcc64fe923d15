import { useId, useRef } from "react";
import type { ReactNode } from "react";
import { useModal } from "./useModal";

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  danger?: boolean;
}

/** A modal confirmation: focus starts on Cancel, Escape cancels, Tab stays inside. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, busy, danger }: Props) {
  const titleId = useId();
  const box = useRef<HTMLDivElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useModal(box, onCancel, cancel);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onCancel()}>
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby={titleId} ref={box}>
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="actions">
          <button type="button" ref={cancel} className="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="button" className={`button ${danger ? "danger" : "primary"}`} onClick={onConfirm} disabled={busy}>
            {busy ? "Working…" : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

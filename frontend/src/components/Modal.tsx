import { useId, useRef } from "react";
import type { ReactNode } from "react";
import { useModal } from "./useModal";

interface Props {
  title: string;
  children: ReactNode;
  onClose: () => void;
  /** Shown at the bottom right; a Close button is always there. */
  footer?: ReactNode;
  wide?: boolean;
}

/** A modal dialog with its own controls: focus starts on the first one, Escape closes, Tab stays inside. */
export function Modal({ title, children, onClose, footer, wide }: Props) {
  const titleId = useId();
  const box = useRef<HTMLDivElement>(null);
  useModal(box, onClose);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`dialog${wide ? " dialog-wide" : ""}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={box}>
        <div className="dialog-head">
          <h2 id={titleId}>{title}</h2>
        </div>
        <div className="dialog-body">{children}</div>
        <div className="actions">
          {footer}
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

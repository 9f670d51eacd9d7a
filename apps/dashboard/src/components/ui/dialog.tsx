"use client";
import { useEffect, useRef, type ReactNode } from "react";

/** A native <dialog>: focus trapping and Escape come from the browser. */
export function Dialog({
  open,
  onClose,
  title,
  children,
  wide,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-label={title}
      className={`m-auto w-[calc(100%-2rem)] ${wide ? "max-w-2xl" : "max-w-lg"} rounded-xl border border-zinc-200 bg-white p-0 shadow-xl backdrop:bg-zinc-900/40`}
    >
      {open ? (
        <div>
          <div className="flex items-center justify-between border-b border-zinc-100 px-5 py-3">
            <h2 className="text-sm font-semibold">{title}</h2>
            <button
              type="button"
              onClick={onClose}
              className="rounded p-1 text-zinc-400 hover:text-zinc-700"
              aria-label="Close"
            >
              ✕
            </button>
          </div>
          <div className="max-h-[75dvh] overflow-y-auto p-5">{children}</div>
        </div>
      ) : null}
    </dialog>
  );
}

"use client";
import type { ReactNode } from "react";
import { Button } from "./button.tsx";

export function Table({ children }: { children: ReactNode }) {
  return (
    <div className="-mx-4 overflow-x-auto sm:mx-0">
      <table className="w-full min-w-[640px] text-left text-sm">{children}</table>
    </div>
  );
}

export function Th({
  children,
  sort,
  active,
  dir,
  onSort,
  className = "",
}: {
  children?: ReactNode;
  sort?: string;
  active?: boolean;
  dir?: "asc" | "desc";
  onSort?: (field: string) => void;
  className?: string;
}) {
  return (
    <th
      className={`border-b border-zinc-100 px-3 py-2 text-xs font-medium whitespace-nowrap text-zinc-500 first:pl-4 sm:first:pl-3 ${className}`}
      aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : undefined}
    >
      {sort && onSort ? (
        <button
          type="button"
          className="inline-flex items-center gap-1 hover:text-zinc-900"
          onClick={() => onSort(sort)}
        >
          {children}
          <span className="text-[10px]">{active ? (dir === "asc" ? "▲" : "▼") : "↕"}</span>
        </button>
      ) : (
        children
      )}
    </th>
  );
}

export function Td({ children, className = "" }: { children: ReactNode; className?: string }) {
  return (
    <td className={`border-b border-zinc-50 px-3 py-2.5 align-middle first:pl-4 sm:first:pl-3 ${className}`}>
      {children}
    </td>
  );
}

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (p: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <div className="flex items-center justify-between gap-2 pt-3 text-xs text-zinc-500">
      <span>
        {total === 0 ? "No results" : `${(page - 1) * pageSize + 1}–${Math.min(page * pageSize, total)} of ${total}`}
      </span>
      <div className="flex gap-2">
        <Button variant="secondary" size="sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </Button>
        <Button variant="secondary" size="sm" disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next
        </Button>
      </div>
    </div>
  );
}

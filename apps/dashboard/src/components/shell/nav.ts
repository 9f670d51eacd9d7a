import type { Scope } from "@gateway/policy/scopes";

export interface NavItem {
  href: string;
  label: string;
  scope: Scope;
  icon: string;
}

export const NAV: Array<{ section: string; items: NavItem[] }> = [
  {
    section: "Insights",
    items: [
      { href: "", label: "Overview", scope: "tenant:read", icon: "◎" },
      { href: "/costs", label: "Costs", scope: "costs:read", icon: "$" },
      { href: "/reliability", label: "Reliability", scope: "logs:read", icon: "∿" },
      { href: "/logs", label: "Requests", scope: "logs:read", icon: "≡" },
      { href: "/simulator", label: "Policy simulator", scope: "simulator:use", icon: "▷" },
    ],
  },
  {
    section: "Configure",
    items: [
      { href: "/apps", label: "Apps & environments", scope: "apps:read", icon: "▢" },
      { href: "/keys", label: "API keys", scope: "keys:read", icon: "⚿" },
      { href: "/routes", label: "Routes", scope: "routes:read", icon: "⇄" },
      { href: "/budgets", label: "Budgets & limits", scope: "budgets:read", icon: "◔" },
      { href: "/providers", label: "Provider accounts", scope: "providers:read", icon: "☁" },
      { href: "/models", label: "Models & prices", scope: "models:read", icon: "◇" },
    ],
  },
  {
    section: "Operate",
    items: [
      { href: "/reviews", label: "Review queue", scope: "reviews:read", icon: "⚑" },
      { href: "/alerts", label: "Alerts", scope: "alerts:read", icon: "!" },
      { href: "/audit", label: "Audit log", scope: "audit:read", icon: "✎" },
      { href: "/members", label: "Members", scope: "members:read", icon: "☺" },
      { href: "/settings", label: "Settings", scope: "tenant:read", icon: "⚙" },
    ],
  },
];

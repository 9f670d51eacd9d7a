export const SERIES_COLORS = ["#3b6cf6", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#06b6d4", "#a1a1aa"];

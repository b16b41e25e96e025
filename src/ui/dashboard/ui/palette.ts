/** The dashboard's colours (the app's, styles.css), for charts; series colours keep 3:1 against white. */
export const PALETTE = {
  ink: "#172033",
  muted: "#4b5568",
  line: "#d6dce8",
  grid: "#eef1f7",
  brand: "#1f3b73",
  good: "#17663b",
  bad: "#9f2d24",
  provisional: "#8a94a6",
  series: ["#1f3b73", "#d9822b", "#2f7dd1", "#17663b", "#9f2d24", "#6b4fbb", "#2b8a8a", "#7a5c2e"]
} as const

"""Speed and scale: statement budgets, query plans, history (issue: the 08:00 peak)."""

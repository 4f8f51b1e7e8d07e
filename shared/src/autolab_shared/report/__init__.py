"""What a chart, a sparkline or a leaderboard shows, as plain data."""

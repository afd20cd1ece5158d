"""Business rules and transactions; views call these and nothing else writes."""

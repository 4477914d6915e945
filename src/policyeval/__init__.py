"""policyeval: Decree 743's rules on transferring state secrets, as literate Datalog."""

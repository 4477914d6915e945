"""policyeval: Decree 743's rules for transferring state secrets, as literate Datalog on pyDatalog."""

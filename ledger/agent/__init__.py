"""What runs inside an agent's process: the ledger writer, the control follower and the agents'
plugins. It imports none of the store, the views or the reports (an import-linter contract holds
it to that): it runs in someone else's process, on every request."""

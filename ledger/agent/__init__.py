"""What runs inside an agent's process: the ledger writer, the control follower and the agents'
plugins. It imports none of the store, the views or the reports (an import-linter contract holds
it to that): it runs in someone else's process, on every request. The light path (``where``,
``light_controls``, ``small_files``, ``steering``, ``hooks``, ``statusline``, ``writer``) runs as a
process of its own on every prompt and tool call, so it imports no pydantic either (a second
contract), nor ``typing`` or ``dataclasses`` at run time."""

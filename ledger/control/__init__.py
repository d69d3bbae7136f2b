"""The control channel (DESIGN.md): ``control.json`` is the state the agent must honour, and
``controls.jsonl`` the audit trail of every change to it; both live beside the first ledger.
``model`` holds what they contain, ``channel`` writes them, ``reader`` is the agent's cheap read,
``status`` what the agent made of each change, ``actions`` a recommendation's action as a change."""

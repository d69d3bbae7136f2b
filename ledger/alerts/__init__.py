"""Alerts (seed 000 §2.3): what crossed a level (``detect``) and what was sent (``record``). Sending them
(toast, desktop, webhook) is the collectors' and the dashboard's job."""

"""The team store: a PostgreSQL database every machine pushes its rows to (``push``), and that a dashboard
or report pulls new rows from into a local DuckDB cache (``pull``). ``schema`` holds the team database's
own numbered migrations; ``tables`` what is pushed of each local table and how its rows are keyed;
``connect`` the libpq URL, the machine and the user; ``budgets`` the budgets the team shares."""

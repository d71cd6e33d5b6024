"""The KPI module: every figure of the cases and ledgers, computed once, in the database."""

"""One source of the names clients show: statuses, lights, roles, departments, figures."""

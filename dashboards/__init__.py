"""Streamlit dashboards: clients of the GridLink REST API."""

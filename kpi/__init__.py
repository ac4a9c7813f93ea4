"""Call-center KPIs: pure definitions, queue summaries and Erlang C/A staffing."""

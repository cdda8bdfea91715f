"""Sources: where model records come from (files we are given, and later the Hub itself)."""

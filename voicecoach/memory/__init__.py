"""Memory: the session store and the carers' report."""

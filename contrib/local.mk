# contrib/ -- example configuration, Postfix snippets, scripts.

# man/ -- manual pages.

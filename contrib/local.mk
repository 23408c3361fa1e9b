# contrib/ -- example configuration, Postfix snippets, systemd units and
# the scripts behind the README's two commands.

EXTRA_DIST += \
	contrib/debian-packages \
	contrib/install-deps \
	contrib/postwarden.conf \
	contrib/quickstart \
	contrib/systemd/postwarden-milter.service \
	contrib/systemd/postwarden-policyd.service \
	contrib/test-all

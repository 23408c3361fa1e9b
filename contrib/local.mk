# contrib/ -- example configuration, Postfix snippets, systemd units and
# the scripts behind the README's two commands.

EXTRA_DIST += \
	contrib/debian-packages \
	contrib/install-deps \
	contrib/monitoring/grafana-postwarden.json \
	contrib/monitoring/prometheus.yml \
	contrib/postfix/main.cf \
	contrib/postfix/master.cf \
	contrib/postfix/postwarden_route.regexp \
	contrib/postfix/postwarden_smtp_header_checks.regexp \
	contrib/postfix/postwarden_header_checks.regexp \
	contrib/postfix/transport \
	contrib/postwarden.conf \
	contrib/quickstart \
	contrib/systemd/postwarden-milter.service \
	contrib/systemd/postwarden-policyd.service \
	contrib/test-all

# The example configuration, installed as the configuration only when
# there is none yet (an admin's file is never overwritten).
pwconfdir = $(sysconfdir)/postwarden
dist_doc_DATA = README.md contrib/postwarden.conf

install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(pwconfdir)'
	if test ! -e '$(DESTDIR)$(pwconfdir)/postwarden.conf'; then \
	    $(INSTALL_DATA) -m 0640 '$(srcdir)/contrib/postwarden.conf' \
	        '$(DESTDIR)$(pwconfdir)/postwarden.conf'; \
	fi

uninstall-local:
	-cmp -s '$(srcdir)/contrib/postwarden.conf' \
	    '$(DESTDIR)$(pwconfdir)/postwarden.conf' && \
	    rm -f '$(DESTDIR)$(pwconfdir)/postwarden.conf'
	-rmdir '$(DESTDIR)$(pwconfdir)' 2>/dev/null

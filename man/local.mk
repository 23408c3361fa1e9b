# man/ -- manual pages.  Pages ending in .in get the installation paths
# substituted at build time, so they show the defaults this build uses.

PW_MAN_GENERATED = \
	man/postwarden.conf.5 \
	man/postwarden-milter.8 \
	man/postwarden-policyd.8 \
	man/postwarden.1
man_MANS = $(PW_MAN_GENERATED)
EXTRA_DIST += $(PW_MAN_GENERATED:=.in)
CLEANFILES += $(PW_MAN_GENERATED)

pw_man_subst = sed \
	-e 's|[@]sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|[@]runstatedir[@]|$(runstatedir)|g' \
	-e 's|[@]VERSION[@]|$(VERSION)|g'

man/postwarden.conf.5: $(srcdir)/man/postwarden.conf.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(pw_man_subst) \
	    $(srcdir)/man/postwarden.conf.5.in > $@
man/postwarden-milter.8: $(srcdir)/man/postwarden-milter.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(pw_man_subst) \
	    $(srcdir)/man/postwarden-milter.8.in > $@
man/postwarden.1: $(srcdir)/man/postwarden.1.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(pw_man_subst) \
	    $(srcdir)/man/postwarden.1.in > $@
man/postwarden-policyd.8: $(srcdir)/man/postwarden-policyd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(pw_man_subst) \
	    $(srcdir)/man/postwarden-policyd.8.in > $@

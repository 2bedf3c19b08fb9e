# stress/local.mk: included by the top Makefile.am.

# Engines shared by the unit tests and urcu-tlb-stress.
noinst_LTLIBRARIES += stress/libstresscore.la
stress_libstresscore_la_SOURCES = \
	stress/torture.c stress/torture.h \
	stress/litmus.c stress/litmus.h
stress_libstresscore_la_LIBADD = liburcu-tlb.la

# ---- the stress and self-check program (installed) ------------------------

bin_PROGRAMS += stress/urcu-tlb-stress
stress_urcu_tlb_stress_SOURCES = stress/urcu-tlb-stress.c
stress_urcu_tlb_stress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/stress
stress_urcu_tlb_stress_LDADD = stress/libstresscore.la liburcu-tlb.la


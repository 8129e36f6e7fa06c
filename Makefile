# diskquota: disk space quotas for PostgreSQL 15, built with PGXS

MODULE_big = diskquota
OBJS = \
	activetable.o \
	backendslot.o \
	diskquota.o \
	diskquota_utility.o \
	enforcement.o \
	events.o \
	filefeed.o \
	history.o \
	hold.o \
	launcher.o \
	ownobjects.o \
	policy.o \
	quotaconfig.o \
	selfservice.o \
	cleanup.o \
	quotamap.o \
	quotamodel.o \
	refusal.o \
	registry.o \
	relfile.o \
	selfcharge.o \
	settings.o \
	worker.o

EXTENSION = diskquota
DATA = diskquota--1.0.sql diskquota--1.0--1.1.sql diskquota--1.1--1.2.sql
PGFILEDESC = "diskquota - disk space quotas for schemas and roles"

PG_CONFIG ?= pg_config

# All warnings of -Wall -Wextra for our code, except unused parameters,
# which hook and callback signatures impose (as in PostgreSQL's own build).
# The server headers are not -Wextra clean, so they are read as system
# headers, which silences warnings in them only.
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -MMD -MP
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

REGRESS = init schema_quota role_quota bounded_insert tablespace_quota database_quota operations upgrade drop_table column_update copy update \
	toast truncate change_quota temp_table rename partition vacuum_full \
	explain_options alter_table_loads ctas_target move_into_full catalog_writes maintenance_growth running_utility utility_recursion \
	set_schema_owner ctas views privileges bad_input failed_statement running_load swallowed_stop ri_exemption slot_overflow prepared_xacts temp_load_latency self_charge self_charge_full self_charge_ctas self_charge_nested self_charge_copy self_charge_once self_charge_gaps self_charge_first_poll self_charge_pace self_charge_rows self_charge_edges self_charge_paths self_charge_rollback self_charge_refresh self_charge_tenants self_charge_swallow self_charge_gin_routing self_charge_lazy self_charge_lazy_nested self_charge_lazy_indexes uncommitted concurrency evasion unmonitored owner_attack own_schema reader_privileges quota_messages quota_policy default_quota events event_reminders usage_history self_service cleanup_plan self_service_attack \
	drop_extension
REGRESS_OPTS = --temp-config=$(srcdir)/diskquota_test.conf --temp-instance=./tmp_regress
ISOLATION := $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --temp-config=$(srcdir)/diskquota_test.conf --temp-instance=./tmp_isolation
TAP_TESTS := $(if $(wildcard t/*.pl),1,)

EXTRA_CLEAN = $(OBJS:.o=.d)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Each object depends on the headers it includes, as the compiler lists them
# (-MMD: a .d file beside each .o; not for the bitcode objects).
-include $(OBJS:.o=.d)

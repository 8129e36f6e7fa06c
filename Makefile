# diskquota: disk space quotas for PostgreSQL 15, built with PGXS

MODULE_big = diskquota
OBJS = \
	activetable.o \
	diskquota.o \
	diskquota_utility.o \
	enforcement.o \
	quotamodel.o

EXTENSION = diskquota
DATA = diskquota--1.0.sql
PGFILEDESC = "diskquota - disk space quotas for schemas and roles"

PG_CONFIG ?= pg_config

# All warnings of -Wall -Wextra for our code.  The server headers are not
# -Wextra clean (unused parameters in inline functions), so they are read
# as system headers, which silences warnings in them only.
PG_CFLAGS = -Wall -Wextra
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --temp-config=$(srcdir)/diskquota_test.conf --temp-instance=./tmp_check
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --temp-config=$(srcdir)/diskquota_test.conf --temp-instance=./tmp_check_iso
TAP_TESTS = 1

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

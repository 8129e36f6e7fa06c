/*-------------------------------------------------------------------------
 *
 * settings.c
 *		The settings of diskquota (diskquota.*): their variables and their
 *		definitions.
 *
 * _PG_init (diskquota.c) defines them first, also when the library is
 * loaded without shared_preload_libraries (then only those that do not
 * size shared memory).  Every module reads the variables; none but this
 * file writes them (the GUC machinery does).
 *
 * This file owns no shared state.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "diskquota_common.h"
#include "settings.h"

/* The variables, with their boot values */
char	   *diskquota_monitor_databases = NULL;
int			diskquota_naptime = 2;
int			diskquota_max_active_tables = 100000;
int			diskquota_max_quotas = 10000;
int			diskquota_max_databases = 16;
int			diskquota_full_rescan_interval = 600;
int			diskquota_load_check_interval = 100;
bool		diskquota_self_charge = true;
bool		diskquota_file_feed = true;
bool		diskquota_feed_simulate_overflow = false;
int			diskquota_default_grace = 7 * 24 * 3600;
double		diskquota_advisory_hysteresis = 5.0;
int			diskquota_notify_payload = DQ_NOTIFY_ID;
char	   *diskquota_event_readers = NULL;
char	   *diskquota_approver_role = NULL;
int			diskquota_max_requests_per_day = 10;
int			diskquota_grace_warn_before = 24 * 3600;
int			diskquota_event_retention = 30 * 24 * 3600;
int			diskquota_reminder_interval = 24 * 3600;
int			diskquota_denied_notify_interval = 3600;
int			diskquota_history_interval = 3600;
int			diskquota_history_retention = 90 * 24 * 3600;
double		diskquota_overuse_decay = 0.95;
int			diskquota_frequent_overuse_days = 10;
int			diskquota_overuse_step = 5 * 1024;
int			diskquota_min_grace = 3600;
int			diskquota_test_clock_offset = 0;

static const struct config_enum_entry notify_payload_options[] = {
	{"full", DQ_NOTIFY_FULL, false},
	{"id", DQ_NOTIFY_ID, false},
	{NULL, 0, false}
};

static bool check_monitor_databases(char **newval, void **extra, GucSource source);

/*
 * The list must parse as a list of identifiers, so that a typo is rejected
 * at reload instead of being ignored by the launcher.
 */
static bool
check_monitor_databases(char **newval, void **extra,
						GucSource source)
{
	char	   *rawstring = pstrdup(*newval);
	List	   *names;
	bool		ok;

	ok = SplitIdentifierString(rawstring, ',', &names);
	if (!ok)
		GUC_check_errdetail("List syntax is invalid.");
	list_free(names);
	pfree(rawstring);
	return ok;
}

/*
 * Define the settings, from _PG_init.  Those that size shared memory only
 * exist when the library is preloaded, and can only be set at server start.
 */
void
diskquota_define_settings(void)
{
	DefineCustomStringVariable("diskquota.monitor_databases",
							   "Comma-separated list of databases whose disk usage diskquota monitors and enforces.",
							   "Names follow SQL identifier rules: unquoted names are folded to lower case. "
							   "An empty list monitors no database.",
							   &diskquota_monitor_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_monitor_databases, NULL, NULL);

	DefineCustomIntVariable("diskquota.naptime",
							"Maximum time between two refreshes of the quota model.",
							"A worker refreshes earlier when relations of its database change.",
							&diskquota_naptime,
							2, 1, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.load_check_interval",
							"How often a running load is checked against the quotas.",
							"Each writing statement checks this often whether the worker asked it to stop; "
							"the worker refreshes at most this often when woken by file changes, and at least "
							"this often while statements write if there is no file-change feed. "
							"0 disables stopping running statements.",
							&diskquota_load_check_interval,
							100, 0, 60000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("diskquota.self_charge",
							 "Lets running statements charge their own growth against the quotas' headroom.",
							 "A running INSERT, UPDATE, MERGE, COPY FROM, CREATE TABLE AS or REFRESH measures how much "
							 "the relations it writes grew and stops itself when a target's headroom is used up, "
							 "without waiting for the worker. When off, only the worker stops running statements.",
							 &diskquota_self_charge,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("diskquota.file_feed",
							 "Watches the files of monitored databases for changes (Linux inotify).",
							 "When off, or where inotify cannot be used, changes that no statement hook "
							 "sees are found only by the periodic full rescans.",
							 &diskquota_file_feed,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("diskquota.feed_simulate_overflow",
							 "Test only: treats every batch of file-change events as a queue overflow.",
							 NULL,
							 &diskquota_feed_simulate_overflow,
							 false,
							 PGC_SIGHUP,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.full_rescan_interval",
							"Time between two full rescans of every relation of a monitored database.",
							"A full rescan re-sizes all relations and catches changes no hook saw. "
							"0 disables periodic full rescans.",
							&diskquota_full_rescan_interval,
							600, 0, INT_MAX / 1000,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.default_grace",
							"Grace period of a soft limit set without one.",
							"How long a target may stay above its soft limit before its loads are refused, "
							"for quotas whose grace is NULL. Read by the worker when a grace period starts.",
							&diskquota_default_grace,
							7 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomRealVariable("diskquota.advisory_hysteresis",
							 "How far below an advisory threshold usage must fall to clear it, in percent of the threshold.",
							 "A threshold is reached when usage goes above it, and cleared when usage falls below "
							 "it minus this percentage of it, so that usage moving around a threshold does not "
							 "reach it again and again.",
							 &diskquota_advisory_hysteresis,
							 5.0, 0.0, 100.0,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("diskquota.notify_payload",
							 "What the NOTIFY of each event says: the whole event, or its id only.",
							 "LISTEN has no access control: with id, only those who may read diskquota.events "
							 "learn what the event was.",
							 &diskquota_notify_payload,
							 DQ_NOTIFY_ID,
							 notify_payload_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.grace_warn_before",
							"How long before a grace period ends the event grace_expiring is logged.",
							"Once per grace period, at the first refresh with less than this left.",
							&diskquota_grace_warn_before,
							24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.reminder_interval",
							"How often the event reminder comes while a target is over a threshold.",
							"A quota may set its own (diskquota.set_quota_notifications). 0: no reminders.",
							&diskquota_reminder_interval,
							24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.denied_notify_interval",
							"How often at most the events write_denied and load_stopped are logged per target.",
							"The refusals and stops between two events are counted in the next one.",
							&diskquota_denied_notify_interval,
							3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.history_interval",
							"The length of a bucket of the usage history.",
							"The worker writes one row per quota and bucket when the bucket ends.",
							&diskquota_history_interval,
							3600, 1, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.history_retention",
							"How long the usage history keeps a bucket.",
							"The worker deletes older rows, at each bucket's end at most as many as it wrote and 1000 more. 0 keeps them all.",
							&diskquota_history_retention,
							90 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomRealVariable("diskquota.overuse_decay",
							 "What a day leaves of a target's over-use in megabyte-days.",
							 "Over-use decays continuously: after d days without over-use it is multiplied by this to the power d.",
							 &diskquota_overuse_decay,
							 0.95, 0.0, 1.0,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.frequent_overuse_days",
							"Days over the limit in the last 30 beyond which a target is escalated one level.",
							NULL,
							&diskquota_frequent_overuse_days,
							10, 0, 30,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.overuse_step",
							"Over-use, in megabyte-days, per escalation level.",
							"A target's level is one more per this much over-use (5120: 5 GB-days).",
							&diskquota_overuse_step,
							5 * 1024, 1, INT_MAX,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.min_grace",
							"The shortest grace period escalation leaves.",
							"A target of level n starting a grace period gets the grace period divided by 2 to the n, not below this (nor above the grace period).",
							&diskquota_min_grace,
							3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.test_clock_offset",
							"Test only: the worker's clock runs this far ahead of the system's.",
							"For tests of grace periods, over-use and history, where days must pass.",
							&diskquota_test_clock_offset,
							0, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.event_retention",
							"How long the event log keeps an event.",
							"The worker deletes older events, at most 1000 per refresh. 0 keeps them all.",
							&diskquota_event_retention,
							30 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomStringVariable("diskquota.event_readers",
							   "The role whose members may read the event log diskquota.events.",
							   "Empty: superusers only. Its members also need USAGE on schema diskquota.",
							   &diskquota_event_readers,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("diskquota.max_requests_per_day",
							"How many quota requests a role that is not a superuser may make in 24 hours.",
							"0: only superusers may make requests.",
							&diskquota_max_requests_per_day,
							10, 0, 1000,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("diskquota.approver_role",
							   "The role whose members may approve and deny quota requests.",
							   "Empty: superusers only.",
							   &diskquota_approver_role,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	/*
	 * What sizes shared memory can only be set at server start, and only
	 * exists when the library is preloaded.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("diskquota.max_active_tables",
								"Capacity of the shared map of relations changed since the last refresh.",
								"When it is full, the affected database is fully rescanned at its next refresh.",
								&diskquota_max_active_tables,
								100000, 1024, INT_MAX / 64,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

		DefineCustomIntVariable("diskquota.max_quotas",
								"Maximum number of quotas, over all monitored databases.",
								"When the map is full, exceeded quotas take precedence and the usage of other quotas is not shown; diskquota.status() reports the database as degraded.",
								&diskquota_max_quotas,
								10000, 16, INT_MAX / 64,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

		DefineCustomIntVariable("diskquota.max_databases",
								"Maximum number of databases diskquota can monitor.",
								"Each monitored database uses one background worker slot (max_worker_processes).",
								&diskquota_max_databases,
								16, 1, 1024,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);
	}

	MarkGUCPrefixReserved("diskquota");
}

/*-------------------------------------------------------------------------
 *
 * selfcharge.c
 *		Self-charging (diskquota.self_charge): a running statement that
 *		writes measures its own growth, charges it to its targets in the
 *		quota map, and stops itself at its first poll past the quota.
 *
 * enforcement.c publishes and polls the running statement and calls the
 * steps here: when a writing execution begins, joins, ends or fails
 * (diskquota_self_charge_begin, _join, _unwrap, _end), when the query of
 * a CREATE TABLE AS and friends runs (diskquota_self_charge_dest_begin,
 * _end), around a COPY FROM (diskquota_copy_charge_begin, _end), after a
 * REFRESH MATERIALIZED VIEW (diskquota_charge_rebuilt_indexes), and from
 * its timeout handler (diskquota_self_charge_due_from_handler).  Nothing
 * here calls enforcement.c; the quota error is raised by refusal.c.  How
 * it measures, paces, reserves and starts lazily: "Charging the
 * statement's own growth" below.
 *
 * This file owns no shared state: it charges, reserves and gives back in
 * the quota map, and acquires, measures and releases entries of the
 * charged-relation map, both in quotamap.c and under its locks.  Its
 * backend-local state (what the statement measures, in arrays that grow
 * in TopMemoryContext; the wrapped plan nodes, receiver and access method)
 * is released when the statement that charges itself ends, when its
 * transaction aborts (enforcement.c's transaction callback), and at
 * backend exit (charged_rels_exit).  self_charging and charge_due are
 * also read and set by the timeout handler, a signal handler: they are
 * sig_atomic_t.
 *
 * How the parts work together: docs/design.md.
 *
 * Copyright (c) 2026, The diskquota Developers (LICENSE: PostgreSQL License)
 *
 * IDENTIFICATION
 *		selfcharge.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/smgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "diskquota_common.h"
#include "settings.h"
#include "relfile.h"
#include "registry.h"
#include "quotamap.h"
#include "refusal.h"
#include "selfcharge.h"

/*
 * Charging the statement's own growth (diskquota.self_charge).  While a
 * writing execution that is not nested in one that charges itself (the
 * outermost, or one nested in an execution that does not: AFTER triggers,
 * a statement into targets without a quota) is an INSERT, UPDATE or MERGE
 * (or a query with such data-modifying CTEs) into relations one of whose
 * targets has a quota, or into a partitioned table, it measures at each
 * poll how much the relations it writes grew since the last poll (at the
 * first one: since it started), from the open relations (smgrnblocks: no
 * stat(); which forks: relation_growth), charges that to their targets in
 * the quota map, and stops itself with the quota error as soon as a target's
 * charged bytes reach its headroom (quotamap.c has the protocol with the
 * worker and its bound).  Of that growth it charges only what no other
 * measurement charged: the part above the relation's high-water mark in the
 * charged-relation map (quotamap.c, "Each byte charged once"), so that
 * statements writing one relation at once split its growth.  What it
 * measures: each result relation ExecutorStart opened, its indexes (from the
 * relation cache's list, locked as the executor locks them to write: it
 * opens them only at the first row), its TOAST relation and that one's
 * index, charged as the model charges them (schema unless temporary,
 * owner, both in the tablespace of the files, database).  When it completes, a statement charges its last growth
 * (diskquota_self_charge_end), whether or not it polled.  The timeout
 * handler cannot measure (it runs in a signal handler): it sets charge_due,
 * and the statement measures at its next row, in a wrapper of the
 * ExecProcNode of each ModifyTable's input that tests that flag.  The wrapper is installed
 * through ExecProcNodeReal, so that ExecProcNodeFirst and instrumentation
 * keep working, and removed when the execution ends.  The wrapper also counts
 * down the bytes the rows may write before the next measurement, so that
 * the statement approaches the headroom without crossing it by more than a
 * few rows, however fast and however wide the rows it writes.  What a row
 * may write is bounded from its values, never learned from earlier rows
 * (a statement could teach a narrow width, then write wide rows): a heap
 * tuple takes at most a block, and its values that go to TOAST at most
 * their raw size; an entry of a btree, hash, GiST, SP-GiST or BRIN index
 * takes no more than that again; so a row is reckoned at (BLCKSZ + the raw
 * size of its variable-length values) times (1 + the indexes of the
 * measured table that has the most) (row_estimate).  This overstates
 * narrow rows a hundredfold: they are measured more often, never late.
 * What no bound on the row limits is looked at after every row instead: a
 * table with a GIN index (an entry per key) or one of another access
 * method is measured after every row (charge_every_row); what a row stores
 * in TOAST when it is decided after the input (BEFORE ROW triggers, stored
 * generated columns, ON CONFLICT DO UPDATE, MERGE, an UPDATE moving rows
 * between partitions) is counted into the budget from the TOAST relations'
 * sizes after every row (charge_watch_toast, one lseek() each).  After each measurement the budget to the next one is half the
 * least headroom left among its targets (neither charged nor reserved, see
 * below), divided by the number of statements that seem to spend it (by
 * how much more the headroom left shrank than this one charged, over its
 * last interval or since it started, whichever is more), no more than the
 * statement reckoned since it started (the budget at most doubles from one
 * measurement to the next, while the estimates form), at least
 * DQ_MIN_CHARGE_BYTES.  A relation measured after the statement started (a
 * partition rows are routed to, a nested execution's) whose targets have
 * less headroom left cuts the budget at once (lower_pace).  Concurrent
 * statements into one target would still each size their budget by the same
 * headroom left, and one descheduled for a while would come back to write a
 * budget sized by a headroom the others have spent since: so at each poll
 * that does not stop it, a statement reserves in the quota map what its
 * next rows will write (its budget, at the ratio of growth to reckoned
 * bytes of its last interval), shared among its targets as its last growth
 * was (quotamap.c, "Reservations"), and gives it back at its next
 * measurement (before it charges) or when it stops measuring
 * (release_charged_rels).  The others' budgets are then sized by what
 * nobody reserved.  Only charges stop a statement, and one that finds the
 * headroom all reserved goes on DQ_MIN_CHARGE_BYTES at a time: so concurrent
 * loads cross the headroom by about what was still reserved when the
 * charges reached it plus what the reservations underestimated.
 * Far from every quota that is never, and the timer alone polls; near one,
 * the measurements are a few per halving of the headroom left.
 * Partitions rows are routed to: the wrapper compares, before each row,
 * how many partitions the executor opened for routing
 * (es_tuple_routing_result_relations, only ever appended to) with how many
 * it measures, and measures the new ones from then on; the row that made
 * the executor open a partition, written into it before, is charged as
 * reckoned (ChargedRelation.unmeasured).  Nested
 * executions (a trigger's or a function's INSERT, UPDATE or MERGE) join the
 * statement that charges itself: their result relations are measured with
 * its own from when they start, and their ModifyTable inputs wrapped until
 * they end (diskquota_self_charge_join).  The data-modifying CTEs a query
 * did not read to the end run in ExecutorFinish: charged there too
 * (finish_writing, enforcement.c).
 * The arrays of what is measured grow as needed (in TopMemoryContext): no
 * count of relations, nodes or nested executions goes unmeasured.  Each
 * relation is charged to the targets it has when it is measured (its
 * schema, owner and tablespace now: a table moved by the statement itself
 * is charged to where it went).
 * Lazy start: measuring costs a short statement more than the rest of what
 * diskquota does for it (opening and locking its TOAST relation and index,
 * entries in the charged-relation map, an lseek() per fork, at the start
 * and again at the end).  So a statement far from every quota (each of its
 * targets has DQ_LAZY_HEADROOM left) starts measuring only at its first
 * poll: the timer's, or once its rows reckoned DQ_LAZY_BYTES (charge_lazy,
 * self_charge_late_start); one that ends before measures nothing, and the
 * worker counts what it wrote, as it does with self-charging off.  Only its
 * own result relations are lazy: a nested execution (a function's or a
 * trigger's INSERT, UPDATE or MERGE) is measured from when it joins, as in
 * any statement that charges itself, and what it wrote is charged at the
 * first poll or when the statement completes, whichever comes first: its
 * targets may be near their quota while the statement's are far.  What a
 * statement writes before it starts measuring is bounded by what its rows
 * reckoned, at most DQ_LAZY_BYTES, which is not charged but counted by the
 * worker at its next refresh.  A session's lazy statements together get
 * the headroom left over DQ_LAZY_SESSIONS (at least DQ_LAZY_BYTES) until
 * the worker has refreshed after them (lazy_unmeasured): a loop of short
 * statements measures from the start once its lazy ones reckoned that
 * much.  It takes DQ_LAZY_SESSIONS sessions writing at once, between two
 * refreshes, to reach the quota unmeasured; closer to it than
 * DQ_LAZY_HEADROOM, nothing starts lazily.  Statements whose rows a
 * reckoning cannot bound start measuring at once: an index of an access
 * method that does not bound what a row adds (GIN), TOAST decided after the
 * input (charge_watch_toast), rows routed to partitions, an index in
 * another tablespace than its table, and a table whose index list the
 * relation cache does not hold (lazy_start_allowed).  The rows of one that
 * starts lazily are reckoned with its indexes from its first row, as once
 * it measures (charge_row_factor): a row of a table with 60 btree indexes
 * writes 60 entries of up to a third of a page each.
 * Bounded INSERTs the client sends (not registered: with self-charging,
 * those run by functions or triggers are registered, see
 * client_statement, enforcement.c) and statements whose targets have no
 * quota measure nothing.  CREATE TABLE AS and friends measure the relation
 * they create in a wrapper of their DestReceiver, COPY FROM in a wrapper of
 * its table's access method (see below).
 */
#define DQ_MIN_CHARGE_BYTES (256 * 1024)

/* Up to this many blocks a relation may lack its free space map */
#define DQ_SMALL_RELATION_BLOCKS 8

/* Targets looked up on the stack when a statement starts; more: palloc'd */
#define DQ_START_TARGETS 64

/*
 * A statement whose targets all have at least DQ_LAZY_HEADROOM left when it
 * starts measures nothing until its first poll (the timer's, or after its
 * rows reckoned DQ_LAZY_BYTES): see "Lazy start" above.
 */
#define DQ_LAZY_HEADROOM ((int64) 64 * 1024 * 1024)
#define DQ_LAZY_BYTES ((int64) 1024 * 1024)
#define DQ_LAZY_SESSIONS 64

/*
 * A poll of the statement that charges itself found a target's headroom
 * used up and raised the quota error (charge_stopped_target).  The poll
 * runs where the next row is written, which may be a nested statement of a
 * function whose exception block catches the error: the stop stands for
 * the statement until it ends.  Every later poll raises the error again
 * (the budget is left used up, so the next row anywhere polls), no
 * execution nested in it may start writing (refuse_after_stop_request),
 * and if it completes all the same it fails then (end_write_ok,
 * run_writing_utility, run_charging_dest: enforcement.c, which reads it
 * through diskquota_self_charge_stopped).  Cleared with what it measures
 * (release_charged_rels).
 */
static bool charge_stopped = false;
static DiskquotaTarget charge_stopped_target;

typedef struct ChargedRelation
{
	Oid			relid;
	Oid			toast_of;		/* a TOAST relation: the table whose schema it
								 * is charged to */
	bool		nested;			/* written by a nested execution: locked only
								 * while that runs */
	bool		shared;			/* acquired in the charged-relation map, until
								 * release_charged_rels */
	int64		unmeasured;		/* bytes written before it was measured, to
								 * charge at the next measurement */
	RelFileNode node;			/* its files when last measured */
	bool		toast;			/* a TOAST relation (not its index) */
	bool		table;			/* a table (rows are written into it) */
	bool		fsm_absent;		/* it had no free space map at the start */
	bool		indexes_pending;	/* its indexes are to be measured when
									 * their list can be read without waiting */
	BlockNumber unbounded_since;	/* an index whose growth a row cannot
									 * bound (GIN): its size in blocks when
									 * pg_class last recorded it (relpages);
									 * InvalidBlockNumber otherwise (see
									 * charge_routed_partitions) */
	BlockNumber watched;		/* its main fork when last looked at
								 * (watched_toast_growth) */
	BlockNumber nblocks[MAX_FORKNUM + 1];	/* at the last poll;
											 * InvalidBlockNumber: no fork */
} ChargedRelation;

/*
 * junk: for the input of an UPDATE or MERGE, its target list, whose named
 * junk columns (ctid, tableoid, and the whole-row copies of the other
 * relations a join reads, as wide as their values, "wholerowN") are not
 * stored: the row is not reckoned by them (row_estimate), else an UPDATE
 * or MERGE joined to a subquery with wide values would be refused for a
 * row it does not write (refuse_oversized_row).  The unnamed junk columns
 * of a MERGE's input are the values its actions use: they count.  NIL:
 * every column counts (INSERT).
 */
typedef struct ChargedNode
{
	PlanState  *node;
	ExecProcNodeMtd real;		/* its ExecProcNodeReal before ours */
	ModifyTableState *mt;		/* the ModifyTable it is the input of */
	List	   *junk;			/* see above: the plan's, not copied */
} ChargedNode;

/*
 * An EState one of whose result relations is partitioned: how many of the
 * partitions rows were routed to (es_tuple_routing_result_relations) are
 * measured.  mark: ncharged_nodes when a nested execution joined (its
 * EState goes when that execution ends: diskquota_self_charge_unwrap), -1
 * for the statement's own.
 */
typedef struct ChargedRouting
{
	EState	   *estate;
	int			seen;
	int			mark;
} ChargedRouting;

/* Arrays that grow (grow_array), with their lengths and capacities */
static ChargedRelation *charged_rels = NULL;
static int	ncharged_rels = 0;
static int	charged_rels_size = 0;
static ChargedNode *charged_nodes = NULL;
static int	ncharged_nodes = 0;
static int	charged_nodes_size = 0;
static ChargedRouting *charged_routings = NULL;
static int	ncharged_routings = 0;
static int	charged_routings_size = 0;
static DiskquotaCharge *charges_buf = NULL;
static int	charges_buf_size = 0;

/* A measured table has an index whose entries a row cannot bound (GIN) */
static bool charge_every_row = false;

/*
 * The statement charges itself but measures nothing yet (see "Lazy
 * start"): the EState whose result relations it measures from its first
 * poll on.
 */
static bool charge_lazy = false;
static EState *charge_lazy_estate = NULL;

/*
 * What this session's statements wrote while lazy (as their rows
 * reckoned), which nothing charged, since the worker's refresh
 * lazy_since_epoch: at the allowance (lazy_allowance_left), statements
 * measure from the start until a refresh that started after the first of
 * them has completed (the epoch is two past), which counted what they
 * wrote.
 */
static int64 lazy_unmeasured = 0;
static uint64 lazy_since_epoch = 0;


/* A measured relation's indexes are yet to be measured (indexes_pending) */
static bool charge_indexes_pending = false;

/*
 * What a row stores in TOAST may be decided after the ModifyTable's input
 * produced it (BEFORE ROW triggers, stored generated columns, ON CONFLICT
 * DO UPDATE, MERGE, an UPDATE moving rows between partitions): the TOAST
 * relations are looked at after every row (watched_toast_growth).
 */
static bool charge_watch_toast = false;

/* The statement charges itself: the timeout handler sets charge_due */
static volatile sig_atomic_t self_charging = false;
static volatile sig_atomic_t charge_due = false;

/*
 * write_depth (enforcement.c) of the execution that began charging
 * (diskquota_self_charge_begin)
 */
static int	charge_depth = 0;

/*
 * Bytes the rows may write until the next measurement (as row_estimate
 * reckons them), out of charge_budget, and the factor for indexes; the
 * headroom left after the last measurement, and how many statements seem
 * to be spending it (what it shrank by, over what we charged: at the last
 * measurement, or since the first, whichever is more); bytes reckoned
 * since the statement started; what it shrank by and what we charged since
 * then.  Tables and indexes measured, for the factor.
 */
static int64 charge_budget_left = 0;
static int64 charge_last_row = 0;	/* the last row, as reckoned */
static int64 charge_row_values = 0; /* the widest row's values, of the rows
									 * about to be written */
static int64 charge_budget = 0;
static int	charge_row_factor = 1;
static int64 charge_last_remaining = -1;
static double charge_writers = 1;
static int64 charge_reckoned = 0;
static double charge_shrunk = 0;
static double charge_own = 0;

/*
 * What the statement reserved, per target, at its last poll
 * (nreserved_charges of them), or, after a measurement, what it is to
 * reserve if that measurement was a poll that did not stop it
 * (charge_to_reserve of them; self_charge_poll reserves them).
 */
static DiskquotaCharge *reserved_charges = NULL;
static int	reserved_charges_size = 0;
static int	nreserved_charges = 0;
static int	charge_to_reserve = 0;

/* Give back what the statement reserved (quotamap.c, "Reservations") */
static void
return_reservation(void)
{
	int			i;

	if (nreserved_charges == 0)
		return;
	for (i = 0; i < nreserved_charges; i++)
		reserved_charges[i].bytes = -reserved_charges[i].bytes;
	diskquota_reserve_headroom(MyDatabaseId, reserved_charges, nreserved_charges);
	nreserved_charges = 0;
}

/* The budget to the next measurement (see above) */
static void
pace_charges(int64 remaining)
{
	double		budget = remaining / (2 * charge_writers);

	if (charge_reckoned > 0 && budget > (double) charge_reckoned)
		budget = (double) charge_reckoned;
	charge_budget = budget > (double) (PG_INT64_MAX / 4) ? PG_INT64_MAX / 4 :
		Max((int64) budget, DQ_MIN_CHARGE_BYTES);
	charge_budget_left = charge_budget;
}

/* A statement starts charging itself, remaining the least headroom left */
static void
start_pacing(int64 remaining)
{
	charge_writers = 1;
	charge_last_remaining = remaining;
	charge_reckoned = 0;
	charge_shrunk = 0;
	charge_own = 0;
	charge_to_reserve = 0;
	pace_charges(remaining);
}

/*
 * What a row may write at most, as the budget reckons it (see above): a
 * block for its heap tuple and the raw size of its variable-length values,
 * times the table and its indexes.  Costs a pass over the row's attributes,
 * which the executor deforms to write them anyway; only in statements that
 * charge themselves.
 */
static int64
row_estimate(TupleTableSlot *slot, List *junk)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	int64		bytes = BLCKSZ;
	int			i;

	slot_getallattrs(slot);
	for (i = 0; i < desc->natts; i++)
	{
		int16		attlen = TupleDescAttr(desc, i)->attlen;

		if (attlen >= 0 || slot->tts_isnull[i])
			continue;
		if (junk != NIL && ((TargetEntry *) list_nth(junk, i))->resjunk &&
			((TargetEntry *) list_nth(junk, i))->resname != NULL)
			continue;
		if (attlen == -1)
			bytes += toast_raw_datum_size(slot->tts_values[i]);
		else
			bytes += strlen(DatumGetCString(slot->tts_values[i])) + 1;
	}
	charge_row_values = Max(charge_row_values, bytes - BLCKSZ);
	return bytes * charge_row_factor;
}

/*
 * Bytes the TOAST relations measured grew since last looked at (see
 * charge_watch_toast): one lseek() per TOAST relation and row.
 */
static pg_noinline int64
watched_toast_growth(void)
{
	int64		bytes = 0;
	int			i;

	for (i = 0; i < ncharged_rels; i++)
	{
		ChargedRelation *charged = &charged_rels[i];
		Relation	rel;
		BlockNumber now;

		if (!charged->toast)
			continue;
		if (!charged->nested)
			rel = relation_open(charged->relid, NoLock);
		else if ((rel = try_relation_open(charged->relid, AccessShareLock)) == NULL)
			continue;
		now = smgrnblocks(RelationGetSmgr(rel), MAIN_FORKNUM);
		relation_close(rel, charged->nested ? AccessShareLock : NoLock);
		if (now > charged->watched)
			bytes += (int64) (now - charged->watched) * BLCKSZ;
		charged->watched = now;
	}
	return bytes;
}

/*
 * Rows are about to be written: true when a measurement is due.  junk, if
 * not NIL, is the target list of the rows, whose named resjunk columns are
 * not stored (see ChargedNode).
 */
static inline bool
charge_rows_due(TupleTableSlot **slots, int nslots, List *junk)
{
	int			i;

	charge_row_values = 0;
	for (i = 0; i < nslots; i++)
	{
		charge_last_row = row_estimate(slots[i], junk);
		charge_budget_left -= charge_last_row;
	}
	/* a row that alone may not fit: see self_charge_poll */
	if (unlikely(charge_row_values > charge_last_remaining))
		return true;
	if (unlikely(charge_watch_toast))
		charge_budget_left -= watched_toast_growth();
	return unlikely(charge_due || charge_every_row || charge_budget_left <= 0);
}

/*
 * Room for element n of an array that grows, kept in TopMemoryContext:
 * returns the array, *size its capacity.
 */
static void *
grow_array(void *array, int n, int *size, Size elemsize)
{
	int			newsize;

	if (n < *size)
		return array;
	newsize = Max(*size * 2, 16);
	while (newsize <= n)
		newsize *= 2;
	if (array == NULL)
		array = MemoryContextAlloc(TopMemoryContext, newsize * elemsize);
	else
		array = repalloc(array, newsize * elemsize);
	*size = newsize;
	return array;
}

/* The targets of files, in this database (quotamap.c) */
static inline int
targets_of_files(Oid nspoid, Oid owner, Oid spcoid, DiskquotaTarget *targets)
{
	return diskquota_targets_of_files(MyDatabaseId, nspoid, owner, spcoid, targets);
}

static int64 renewed_relation_growth(Relation rel, ChargedRelation *charged);

/*
 * Bytes a relation grew since its sizes in charged->nblocks were taken,
 * which are replaced by its sizes now (first: take them, acquiring the
 * relation in the charged-relation map); if it is in that map (shared),
 * only the bytes by which this measurement raised its high-water marks.
 * The forks other than the main one are measured once this backend has
 * them open (smgrexists() would close and reopen them: too dear for every
 * statement and every poll): a fork this backend writes is open, and is
 * measured from when it is found.  What such a fork (free space or
 * visibility map, a small fraction of the relation) grew before is not
 * charged.
 */
static int64
relation_growth(Relation rel, ChargedRelation *charged, bool first)
{
	SMgrRelation smgr = RelationGetSmgr(rel);
	BlockNumber *nblocks = charged->nblocks;
	BlockNumber before[MAX_FORKNUM + 1];
	bool		counted[MAX_FORKNUM + 1];
	int64		growth = 0;
	ForkNumber	fork;

	if (!first && !RelFileNodeEquals(rel->rd_node, charged->node))
		return renewed_relation_growth(rel, charged);

	for (fork = MAIN_FORKNUM; fork <= MAX_FORKNUM; fork++)
	{
		counted[fork] = !first;
		if (fork != MAIN_FORKNUM &&
			(first || nblocks[fork] == InvalidBlockNumber))
		{
			if (smgr->md_num_open_segs[fork] == 0)
			{
				/*
				 * A small relation may not have its free space map yet: it
				 * appears, 3 blocks at once, when the relation passes a page,
				 * and is charged from nothing then (fsm_absent).
				 */
				if (first && fork == FSM_FORKNUM &&
					smgrnblocks(smgr, MAIN_FORKNUM) <= DQ_SMALL_RELATION_BLOCKS)
					charged->fsm_absent = !smgrexists(smgr, fork);
				nblocks[fork] = InvalidBlockNumber;
				continue;
			}
			/* found now: measured from now on, or from nothing if absent */
			counted[fork] = fork == FSM_FORKNUM && charged->fsm_absent;
			if (fork == FSM_FORKNUM)
				charged->fsm_absent = false;
		}
		/* any valid number asks for the fork to be measured */
		if (first || nblocks[fork] == InvalidBlockNumber)
			nblocks[fork] = 0;
		before[fork] = nblocks[fork];
	}
	if (first)
	{
		charged->shared = diskquota_charged_rel_acquire(MyDatabaseId,
														charged->relid, smgr,
														nblocks);
		return 0;
	}
	if (charged->shared)
	{
		/* only what no statement measured yet: see "Each byte ..." */
		growth = diskquota_charged_rel_measure(MyDatabaseId, charged->relid,
											   smgr, nblocks, counted);
		if (growth >= 0)
			return growth * BLCKSZ;
		charged->shared = false;
		growth = 0;
	}
	for (fork = MAIN_FORKNUM; fork <= MAX_FORKNUM; fork++)
	{
		if (nblocks[fork] == InvalidBlockNumber)
			continue;
		nblocks[fork] = smgrnblocks(smgr, fork);
		if (counted[fork] && nblocks[fork] > before[fork])
			growth += ((int64) nblocks[fork] - (int64) before[fork]) * BLCKSZ;
	}
	return growth;
}

/*
 * The relation has other files than when it was last measured.  Files this
 * transaction made (TRUNCATE or a rewrite by a function of the statement:
 * rd_createSubid or rd_newRelfilenodeSubid set) hold only what it wrote
 * since: all charged.  Other files (its old ones, back after the
 * subtransaction that made new ones rolled back; another session's rewrite
 * after a nested write's lock went) are measured from their sizes now,
 * charging nothing: charging them in full would charge what nobody wrote,
 * once per rollback.  The marks of the charged-relation map come down to
 * the sizes.  Forks are measured only if they exist: nothing may fail with
 * the map's lock held.
 */
static int64
renewed_relation_growth(Relation rel, ChargedRelation *charged)
{
	SMgrRelation smgr = RelationGetSmgr(rel);
	bool		counted[MAX_FORKNUM + 1];
	bool		fresh = rel->rd_createSubid != InvalidSubTransactionId ||
	rel->rd_newRelfilenodeSubid != InvalidSubTransactionId;
	int64		growth = 0;
	ForkNumber	fork;

	charged->node = rel->rd_node;
	for (fork = MAIN_FORKNUM; fork <= MAX_FORKNUM; fork++)
	{
		counted[fork] = false;
		if (fork != MAIN_FORKNUM && !smgrexists(smgr, fork))
		{
			charged->nblocks[fork] = InvalidBlockNumber;
			continue;
		}
		charged->nblocks[fork] = smgrnblocks(smgr, fork);
		if (fresh)
			growth += (int64) charged->nblocks[fork] * BLCKSZ;
	}
	if (charged->shared)
		(void) diskquota_charged_rel_measure(MyDatabaseId, charged->relid, smgr,
											 charged->nblocks, counted);
	charged->watched = charged->nblocks[MAIN_FORKNUM];
	return growth;
}

/* Stop measuring every relation: their entries in the map go */
static void
release_charged_rels(void)
{
	int			i;

	return_reservation();
	charge_stopped = false;

	for (i = 0; i < ncharged_rels; i++)
	{
		if (charged_rels[i].shared)
		{
			charged_rels[i].shared = false;
			diskquota_charged_rel_release(MyDatabaseId, charged_rels[i].relid);
		}
	}
	ncharged_rels = 0;
	ncharged_routings = 0;
	charge_lazy = false;
	charge_lazy_estate = NULL;
	charge_row_factor = 1;
	charge_every_row = false;
	charge_watch_toast = false;
	charge_indexes_pending = false;
}

static void
charged_rels_exit(int code, Datum arg)
{
	release_charged_rels();
}

/* The schema writes into a relation are charged to (none if temporary) */
static inline Oid
charged_namespace(Relation rel)
{
	return RelationUsesLocalBuffers(rel) ? InvalidOid : RelationGetNamespace(rel);
}

/*
 * Measure one relation the statement writes, from now on (toast_of: the
 * table of a TOAST relation)
 */
static ChargedRelation *
add_charged_relation(Relation rel, Oid toast_of, bool nested)
{
	ChargedRelation *charged;
	int			i;
	static bool exit_registered = false;

	if (!RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		return NULL;
	/* measured already (a nested statement writing into it too) */
	for (i = 0; i < ncharged_rels; i++)
	{
		if (charged_rels[i].relid == RelationGetRelid(rel))
			return NULL;
	}
	if (!exit_registered)
	{
		before_shmem_exit(charged_rels_exit, (Datum) 0);
		exit_registered = true;
	}
	charged_rels = grow_array(charged_rels, ncharged_rels, &charged_rels_size,
							  sizeof(ChargedRelation));
	charged = &charged_rels[ncharged_rels];
	charged->relid = RelationGetRelid(rel);
	charged->toast_of = toast_of;
	charged->nested = nested;
	charged->shared = false;
	charged->unmeasured = 0;
	charged->node = rel->rd_node;
	charged->toast = rel->rd_rel->relkind == RELKIND_TOASTVALUE;
	charged->table = rel->rd_rel->relkind == RELKIND_RELATION ||
		rel->rd_rel->relkind == RELKIND_MATVIEW;
	charged->fsm_absent = false;
	charged->indexes_pending = false;
	charged->unbounded_since = InvalidBlockNumber;
	ncharged_rels++;
	(void) relation_growth(rel, charged, true);
	charged->watched = charged->nblocks[MAIN_FORKNUM];
	return charged;
}

/*
 * Measure the indexes of a relation (a table or a TOAST relation) from now
 * on, with the lock the executor or TOAST takes on them to write, until the
 * transaction ends; they count in what a row is reckoned at (row_estimate):
 * a GIN index, or one of an access method not known to bound what a row
 * adds to it, makes the statement measure after every row.
 */
static void
add_charged_indexes(Relation rel, Oid toast_of, bool nested)
{
	List	   *indexes;
	ListCell   *lc;

	if (!rel->rd_rel->relhasindex)
		return;
	if (rel->rd_indexvalid)
		indexes = RelationGetIndexList(rel);
	else if (ConditionalLockRelationOid(IndexRelationId, AccessShareLock))
	{
		/* the list is read from pg_index: only if that does not wait */
		indexes = RelationGetIndexList(rel);
		UnlockRelationOid(IndexRelationId, AccessShareLock);
	}
	else
	{
		/*
		 * An exclusive lock on pg_index is held or queued: the executor, or
		 * TOAST, reads the list when it writes the first row (waiting, as any
		 * statement would); the next measurement takes it then
		 * (charge_pending_indexes).
		 */
		int			i;

		for (i = 0; i < ncharged_rels; i++)
		{
			if (charged_rels[i].relid == RelationGetRelid(rel))
				charged_rels[i].indexes_pending = true;
		}
		charge_indexes_pending = true;
		return;
	}
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		Oid			am = index->rd_rel->relam;
		bool		unbounded = am != BTREE_AM_OID && am != HASH_AM_OID &&
		am != GIST_AM_OID && am != SPGIST_AM_OID && am != BRIN_AM_OID;
		ChargedRelation *charged;

		if (unbounded)
			charge_every_row = true;
		charged = add_charged_relation(index, toast_of, nested);
		if (charged != NULL && unbounded)
			charged->unbounded_since = (BlockNumber) Max(index->rd_rel->relpages, 0);
		index_close(index, NoLock);
	}
	if (!OidIsValid(toast_of))
		charge_row_factor = Max(charge_row_factor, 1 + list_length(indexes));
	list_free(indexes);
}

/*
 * Measure a relation the statement writes, its indexes, its TOAST relation
 * and that one's index from now on; the table's entry, or NULL if it was
 * measured already.
 */
static ChargedRelation *
add_charged_table(Relation rel, bool nested)
{
	ChargedRelation *charged;
	Oid			relid = RelationGetRelid(rel);
	int			n;

	if (!RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		return NULL;

	/*
	 * Measured already (written by another execution of the statement): its
	 * TOAST relation and indexes are looked for again, as a function may have
	 * created them since (ALTER TABLE ... ADD COLUMN, CREATE INDEX).
	 */
	charged = add_charged_relation(rel, InvalidOid, nested);
	n = charged != NULL ? charged - charged_rels : -1;
	if ((rel->trigdesc != NULL &&
		 (rel->trigdesc->trig_insert_before_row ||
		  rel->trigdesc->trig_update_before_row)) ||
		(RelationGetDescr(rel)->constr != NULL &&
		 RelationGetDescr(rel)->constr->has_generated_stored))
		charge_watch_toast = true;
	add_charged_indexes(rel, InvalidOid, nested);
	if (OidIsValid(rel->rd_rel->reltoastrelid))
	{
		/* locked until the transaction ends: the polls open it unlocked */
		Relation	toast = relation_open(rel->rd_rel->reltoastrelid,
										  RowExclusiveLock);

		(void) add_charged_relation(toast, relid, nested);
		add_charged_indexes(toast, relid, nested);
		relation_close(toast, NoLock);
	}
	/* the array may have moved */
	return n >= 0 ? &charged_rels[n] : NULL;
}

/*
 * A relation measured from after the statement started (a partition rows
 * are routed to, a nested execution's): if its targets have less headroom
 * left than the budget was sized by, cut what is left of the budget now.
 */
static void
lower_pace(Relation rel)
{
	DiskquotaTarget targets[5];
	int64		remaining;
	int			ntargets;

	ntargets = targets_of_files(charged_namespace(rel), rel->rd_rel->relowner,
								diskquota_relation_tablespace(rel->rd_rel->reltablespace),
								targets);
	if (diskquota_targets_headroom(MyDatabaseId, targets, ntargets, &remaining, NULL) &&
		remaining < charge_last_remaining)
	{
		int64		left = Max((int64) (remaining / (2 * charge_writers)),
							   DQ_MIN_CHARGE_BYTES);

		charge_last_remaining = remaining;
		if (charge_budget_left > left)
		{
			charge_budget -= charge_budget_left - left;
			charge_budget_left = left;
		}
	}
}

/* Follow the partitions an execution (estate) routes rows to (see below) */
static void
add_charged_routing(EState *estate, int mark)
{
	ChargedRouting *routing;

	charged_routings = grow_array(charged_routings, ncharged_routings,
								  &charged_routings_size, sizeof(ChargedRouting));
	routing = &charged_routings[ncharged_routings++];
	routing->estate = estate;
	routing->seen = list_length(estate->es_tuple_routing_result_relations);
	routing->mark = mark;
}

/*
 * Rows were routed to partitions not measured yet: measure them from now on.
 * Checked before every row, so the row that made the executor open a
 * partition is the only one written into it before it is measured.
 */
static pg_noinline void
charge_routed_partitions(void)
{
	int			i;

	for (i = 0; i < ncharged_routings; i++)
	{
		List	   *routed = charged_routings[i].estate->es_tuple_routing_result_relations;
		int			mark = charged_routings[i].mark;

		while (charged_routings[i].seen < list_length(routed))
		{
			ResultRelInfo *rri = list_nth(routed, charged_routings[i].seen++);
			int			first = ncharged_rels;
			ChargedRelation *charged = add_charged_table(rri->ri_RelationDesc,
														 mark >= 0);

			/*
			 * the row that made the executor open it was written before:
			 * charged as reckoned, but never more than the partition holds
			 * now (its relations just measured: that row cannot have grown
			 * them more).  A row's values are reckoned at their raw size,
			 * which compression can make hundreds of times what a new
			 * partition stores: such rows routed into new partitions would be
			 * charged, to the partition's targets and the database, far more
			 * than was written.  What the row added to an index whose growth
			 * a row cannot bound (GIN: one row of an expression yielding a
			 * million keys adds megabytes) is not in the reckoning: such an
			 * index is charged what it grew beyond the size pg_class last
			 * recorded for it (CREATE INDEX, VACUUM, ANALYZE, TRUNCATE: at
			 * most what it held before the row, so charged early, never
			 * late), else a row into each of many new partitions wrote
			 * hundreds of megabytes past the quota uncharged.
			 */
			if (charged != NULL)
			{
				int64		holds = 0;
				int64		unbounded = 0;
				int			k;
				ForkNumber	fork;

				charged->unmeasured = charge_last_row;

				/*
				 * a small partition's free space map may have appeared with
				 * that row (3 blocks): charged too, early rather than late
				 */
				if (charged->nblocks[MAIN_FORKNUM] <= DQ_SMALL_RELATION_BLOCKS + 1 &&
					charged->nblocks[FSM_FORKNUM] != InvalidBlockNumber)
					charged->unmeasured += (int64) charged->nblocks[FSM_FORKNUM] * BLCKSZ;
				for (k = first; k < ncharged_rels; k++)
				{
					BlockNumber since = charged_rels[k].unbounded_since;

					for (fork = MAIN_FORKNUM; fork <= MAX_FORKNUM; fork++)
					{
						if (charged_rels[k].nblocks[fork] != InvalidBlockNumber)
							holds += (int64) charged_rels[k].nblocks[fork] * BLCKSZ;
					}
					if (since != InvalidBlockNumber &&
						charged_rels[k].nblocks[MAIN_FORKNUM] != InvalidBlockNumber &&
						charged_rels[k].nblocks[MAIN_FORKNUM] > since)
						unbounded += (int64) (charged_rels[k].nblocks[MAIN_FORKNUM] - since) * BLCKSZ;
				}
				charged->unmeasured = Min(charged->unmeasured + unbounded, holds);
				/* and counted against the budget, as written */
				charge_budget_left -= charged->unmeasured;
			}
			lower_pace(rri->ri_RelationDesc);
		}
	}
}

/* Has an execution that charges itself routed rows to a new partition? */
static inline bool
charge_routing_due(void)
{
	int			i;

	for (i = 0; i < ncharged_routings; i++)
	{
		if (list_length(charged_routings[i].estate->es_tuple_routing_result_relations) !=
			charged_routings[i].seen)
			return true;
	}
	return false;
}

/* The ExecProcNode of a ModifyTable's input: measures when a poll is due */
static void self_charge_poll(void);
static void refuse_oversized_row(Relation *rels, int n);

static TupleTableSlot *
charge_ExecProcNode(PlanState *node)
{
	TupleTableSlot *slot;
	int			i;

	if (unlikely(ncharged_routings > 0) && charge_routing_due())
		charge_routed_partitions();
	for (i = ncharged_nodes - 1; i >= 0 && charged_nodes[i].node != node; i--)
		;
	if (unlikely(i < 0))
		elog(ERROR, "diskquota: a plan node left wrapped for self-charging");
	slot = charged_nodes[i].real(node);
	/* measure what the rows before it wrote if it may take the rest */
	if (!TupIsNull(slot) &&
		charge_rows_due(&slot, 1,
						slot->tts_tupleDescriptor->natts == list_length(charged_nodes[i].junk) ?
						charged_nodes[i].junk : NIL))
	{
		ModifyTableState *mt = charged_nodes[i].mt;

		self_charge_poll();
		if (charge_row_values > charge_last_remaining)
		{
			Relation   *rels = palloc(sizeof(Relation) * mt->mt_nrels);
			int			j;

			for (j = 0; j < mt->mt_nrels; j++)
				rels[j] = mt->resultRelInfo[j].ri_RelationDesc;
			refuse_oversized_row(rels, mt->mt_nrels);
			pfree(rels);
		}
	}
	return slot;
}

static void
wrap_modify_table(PlanState *mtstate)
{
	PlanState  *input;

	if (mtstate == NULL || !IsA(mtstate, ModifyTableState) ||
		(input = outerPlanState(mtstate)) == NULL ||
		input->ExecProcNodeReal == charge_ExecProcNode)
		return;
	/* rows it writes that its input does not give (charge_watch_toast) */
	{
		ModifyTableState *mts = (ModifyTableState *) mtstate;
		ResultRelInfo *root = mts->rootResultRelInfo;

		if (mts->operation == CMD_MERGE ||
			((ModifyTable *) mtstate->plan)->onConflictAction == ONCONFLICT_UPDATE ||
			(mts->operation == CMD_UPDATE && root != NULL &&
			 root->ri_RelationDesc->rd_rel->relkind == RELKIND_PARTITIONED_TABLE))
			charge_watch_toast = true;
	}
	charged_nodes = grow_array(charged_nodes, ncharged_nodes,
							   &charged_nodes_size, sizeof(ChargedNode));
	charged_nodes[ncharged_nodes].node = input;
	charged_nodes[ncharged_nodes].mt = (ModifyTableState *) mtstate;
	charged_nodes[ncharged_nodes].junk =
		(((ModifyTableState *) mtstate)->operation == CMD_UPDATE ||
		 ((ModifyTableState *) mtstate)->operation == CMD_MERGE) && input->plan != NULL ?
		input->plan->targetlist : NIL;
	charged_nodes[ncharged_nodes++].real = input->ExecProcNodeReal;
	/* already run (ExecProcNodeFirst replaced itself): replace it too */
	if (input->ExecProcNode == input->ExecProcNodeReal)
		input->ExecProcNode = charge_ExecProcNode;
	input->ExecProcNodeReal = charge_ExecProcNode;
}

/*
 * The targets of the result relations of estate and of their indexes, and
 * whether one of them is partitioned (its partitions may be charged to
 * other targets): in *targets (on the stack, or palloc'd if more), their
 * number returned.
 */
static int
result_targets(EState *estate, DiskquotaTarget **targets, bool *routing)
{
	int			needed = 0;
	int			ntargets = 0;
	ListCell   *lc;

	foreach(lc, estate->es_opened_result_relations)
		needed += 5 * (1 + ((ResultRelInfo *) lfirst(lc))->ri_NumIndices);
	if (needed > DQ_START_TARGETS)
		*targets = palloc(needed * sizeof(DiskquotaTarget));
	*routing = false;
	foreach(lc, estate->es_opened_result_relations)
	{
		ResultRelInfo *rri = lfirst(lc);
		Relation	rel = rri->ri_RelationDesc;
		Oid			nspoid = charged_namespace(rel);
		int			i;

		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
			*routing = true;
		ntargets += targets_of_files(nspoid, rel->rd_rel->relowner,
									 diskquota_relation_tablespace(rel->rd_rel->reltablespace),
									 *targets + ntargets);
		for (i = 0; i < rri->ri_NumIndices; i++)
		{
			Relation	index = rri->ri_IndexRelationDescs[i];

			if (index->rd_rel->reltablespace != rel->rd_rel->reltablespace)
				ntargets += targets_of_files(nspoid, rel->rd_rel->relowner,
											 diskquota_relation_tablespace(index->rd_rel->reltablespace),
											 *targets + ntargets);
		}
	}
	return ntargets;
}

/* A lazy statement ends or starts measuring: what it wrote unmeasured */
static void
add_lazy_unmeasured(void)
{
	int64		reckoned = charge_budget - Max(charge_budget_left, 0);

	if (reckoned <= 0)
		return;
	if (lazy_unmeasured == 0)
		lazy_since_epoch = diskquota_my_epoch();
	lazy_unmeasured += reckoned;
}

/*
 * May a statement start lazily, as far as this session's allowance goes,
 * remaining the least headroom left of its targets?
 */
static bool
lazy_allowance_left(int64 remaining)
{
	int64		allowance = Max(remaining / DQ_LAZY_SESSIONS, DQ_LAZY_BYTES);

	if (lazy_unmeasured >= allowance &&
		diskquota_my_epoch() >= lazy_since_epoch + 2)
		lazy_unmeasured = 0;
	return lazy_unmeasured < allowance;
}

/* Does an index of this access method bound what a row adds to it? */
static inline bool
bounded_index_am(Oid am)
{
	return am == BTREE_AM_OID || am == HASH_AM_OID || am == GIST_AM_OID ||
		am == SPGIST_AM_OID || am == BRIN_AM_OID;
}

/*
 * May a statement writing into the result relations of estate start
 * measuring only at its first poll (see "Lazy start")?  Not if a row may
 * write what its reckoning does not bound: an index of an access method
 * that does not bound what a row adds to it, TOAST decided after the input
 * (BEFORE ROW triggers, stored generated columns).  The executor opens the
 * indexes of a result relation at its first row (ExecInsert, ExecUpdate):
 * until then they are read from the relation cache's list and the system
 * cache, without locking them, or the statement measures from the start if
 * that list is not valid (reading pg_index is not for every statement) or
 * an index is in another tablespace than its table (its targets were not
 * looked up: result_targets).  If so, sets *factor to what a row is
 * reckoned at, as add_charged_indexes would: 1 + the indexes of the
 * relation that has the most.
 */
static bool
lazy_start_allowed(EState *estate, int *factor)
{
	ListCell   *lc;

	*factor = 1;
	foreach(lc, estate->es_opened_result_relations)
	{
		ResultRelInfo *rri = lfirst(lc);
		Relation	rel = rri->ri_RelationDesc;
		int			nindexes = 0;
		int			i;

		if (!RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
			continue;
		if ((rel->trigdesc != NULL &&
			 (rel->trigdesc->trig_insert_before_row ||
			  rel->trigdesc->trig_update_before_row)) ||
			(RelationGetDescr(rel)->constr != NULL &&
			 RelationGetDescr(rel)->constr->has_generated_stored))
			return false;
		if (rri->ri_IndexRelationDescs != NULL)
		{
			for (i = 0; i < rri->ri_NumIndices; i++)
			{
				if (!bounded_index_am(rri->ri_IndexRelationDescs[i]->rd_rel->relam))
					return false;
			}
			nindexes = rri->ri_NumIndices;
		}
		else if (rel->rd_rel->relhasindex)
		{
			List	   *indexes;
			ListCell   *lc2;
			bool		bounded = true;

			if (!rel->rd_indexvalid)
				return false;
			indexes = RelationGetIndexList(rel);
			foreach(lc2, indexes)
			{
				HeapTuple	tuple = SearchSysCache1(RELOID,
													ObjectIdGetDatum(lfirst_oid(lc2)));
				Form_pg_class form;

				if (!HeapTupleIsValid(tuple))
				{
					bounded = false;
					break;
				}
				form = (Form_pg_class) GETSTRUCT(tuple);
				bounded = bounded_index_am(form->relam) &&
					form->reltablespace == rel->rd_rel->reltablespace;
				ReleaseSysCache(tuple);
				if (!bounded)
					break;
			}
			nindexes = list_length(indexes);
			list_free(indexes);
			if (!bounded)
				return false;
		}
		*factor = Max(*factor, 1 + nindexes);
	}
	return true;
}

/*
 * The first poll of a statement that started lazily: measure its result
 * relations from now on (their growth before is the worker's to count).
 */
static pg_noinline void
self_charge_late_start(void)
{
	ListCell   *lc;

	charge_lazy = false;
	add_lazy_unmeasured();
	foreach(lc, charge_lazy_estate->es_opened_result_relations)
		(void) add_charged_table(((ResultRelInfo *) lfirst(lc))->ri_RelationDesc, false);
	charge_lazy_estate = NULL;
	charge_reckoned += charge_budget - Max(charge_budget_left, 0);
	pace_charges(charge_last_remaining);
}

/*
 * A writing execution of queryDesc starts while nothing charges itself (the
 * outermost, or one nested in a statement that does not charge itself): if
 * it is to charge itself, take the sizes of what it writes and wrap the
 * input of its ModifyTable nodes.  True if it does.
 */
bool
diskquota_self_charge_begin(QueryDesc *queryDesc, int depth)
{
	EState	   *estate = queryDesc->estate;
	DiskquotaTarget stack_targets[DQ_START_TARGETS];
	DiskquotaTarget *targets = stack_targets;
	int			ntargets;
	int64		remaining = PG_INT64_MAX;
	bool		routing;
	bool		quota;
	int			lazy_factor;
	ListCell   *lc;

	if (!diskquota_self_charge || estate == NULL)
		return false;

	ntargets = result_targets(estate, &targets, &routing);
	quota = ntargets > 0 &&
		diskquota_targets_headroom(MyDatabaseId, targets, ntargets, &remaining, NULL);
	if (targets != stack_targets)
		pfree(targets);
	if (!quota && !routing)
		return false;

	release_charged_rels();
	ncharged_nodes = 0;
	wrap_modify_table(queryDesc->planstate);
	foreach(lc, estate->es_auxmodifytables)
		wrap_modify_table((PlanState *) lfirst(lc));
	if (!routing && remaining >= DQ_LAZY_HEADROOM && !charge_watch_toast &&
		lazy_allowance_left(remaining) && lazy_start_allowed(estate, &lazy_factor))
	{
		charge_lazy = true;
		charge_lazy_estate = estate;
		/* its rows are reckoned with their indexes from the start */
		charge_row_factor = lazy_factor;
	}
	else
	{
		foreach(lc, estate->es_opened_result_relations)
			(void) add_charged_table(((ResultRelInfo *) lfirst(lc))->ri_RelationDesc, false);
		if (routing)
			add_charged_routing(estate, -1);
	}
	charge_due = false;
	start_pacing(remaining);
	if (charge_lazy && charge_budget > DQ_LAZY_BYTES)
		charge_budget = charge_budget_left = DQ_LAZY_BYTES;
	charge_depth = depth;
	self_charging = ncharged_nodes > 0 && (ncharged_rels > 0 || routing || charge_lazy);
	if (!self_charging)
	{
		/* nothing to measure: the nodes wrapped above are not left wrapped */
		diskquota_self_charge_unwrap(0);
		charge_depth = 0;
		release_charged_rels();
	}
	return self_charging;
}

/*
 * A writing execution nested in one that charges itself (a trigger's or a
 * function's statement) starts: what it writes, and the partitions it
 * routes rows to, are measured with the rest from now on, and the input of
 * its ModifyTable nodes is wrapped too, until it ends
 * (diskquota_self_charge_unwrap).  Its relations stay measured: their locks may go with a subtransaction,
 * so the polls lock them.
 */
void
diskquota_self_charge_join(QueryDesc *queryDesc)
{
	EState	   *estate = queryDesc->estate;
	int			mark = ncharged_nodes;
	ListCell   *lc;

	if (estate == NULL)
		return;
	foreach(lc, estate->es_opened_result_relations)
	{
		ResultRelInfo *rri = lfirst(lc);

		(void) add_charged_table(rri->ri_RelationDesc, true);
		lower_pace(rri->ri_RelationDesc);
		if (rri->ri_RelationDesc->rd_rel->relkind == RELKIND_PARTITIONED_TABLE &&
			(ncharged_routings == 0 ||
			 charged_routings[ncharged_routings - 1].estate != estate))
			add_charged_routing(estate, mark);
	}
	wrap_modify_table(queryDesc->planstate);
	foreach(lc, estate->es_auxmodifytables)
		wrap_modify_table((PlanState *) lfirst(lc));
}

/*
 * Unwrap the nodes wrapped since there were first_node of them; the
 * ResultRelInfos and EStates of the executions that joined since go.
 */
void
diskquota_self_charge_unwrap(int first_node)
{
	int			i;
	int			kept;

	for (i = first_node; i < ncharged_nodes; i++)
	{
		PlanState  *node = charged_nodes[i].node;

		node->ExecProcNodeReal = charged_nodes[i].real;
		if (node->ExecProcNode == charge_ExecProcNode)
			node->ExecProcNode = charged_nodes[i].real;
	}
	if (first_node < ncharged_nodes)
		ncharged_nodes = first_node;
	for (i = 0, kept = 0; i < ncharged_routings; i++)
	{
		if (charged_routings[i].mark < first_node)
			charged_routings[kept++] = charged_routings[i];
	}
	ncharged_routings = kept;
}

/* Measure the indexes whose list could not be read before (see above) */
static pg_noinline void
charge_pending_indexes(void)
{
	int			i;

	for (i = 0; i < ncharged_rels; i++)
	{
		Relation	rel;
		bool		nested = charged_rels[i].nested;

		if (!charged_rels[i].indexes_pending)
			continue;
		if (!nested)
			rel = relation_open(charged_rels[i].relid, NoLock);
		else if ((rel = try_relation_open(charged_rels[i].relid, AccessShareLock)) == NULL)
			continue;
		charged_rels[i].indexes_pending = false;
		add_charged_indexes(rel, charged_rels[i].toast ? charged_rels[i].toast_of : InvalidOid,
							nested);
		relation_close(rel, nested ? AccessShareLock : NoLock);
	}
}

/*
 * Measure what the statement wrote since the last poll and charge it to
 * its targets; true, with *crossed, if a target's headroom is used up.
 * Paces the next measurement.
 */
static bool
self_charge_measure(DiskquotaTarget *crossed)
{
	int			ncharges = 0;
	int64		total = 0;
	int64		reckoned = charge_budget - Max(charge_budget_left, 0);
	int64		remaining;
	bool		result;
	int			i;

	charge_to_reserve = 0;
	if (unlikely(charge_indexes_pending))
	{
		charge_indexes_pending = false;
		charge_pending_indexes();
	}

	for (i = 0; i < ncharged_rels; i++)
	{
		ChargedRelation *charged = &charged_rels[i];
		DiskquotaTarget targets[5];
		Relation	rel;
		Oid			nspoid;
		int64		growth;
		int			ntargets;
		int			j;

		/*
		 * the executor, or add_charged_result_relation for TOAST, holds its
		 * lock
		 */
		if (!charged->nested)
			rel = relation_open(charged->relid, NoLock);
		else if ((rel = try_relation_open(charged->relid, AccessShareLock)) == NULL)
			continue;
		growth = relation_growth(rel, charged, false) + charged->unmeasured;
		charged->unmeasured = 0;
		charged->watched = charged->nblocks[MAIN_FORKNUM];
		if (growth == 0)
		{
			relation_close(rel, charged->nested ? AccessShareLock : NoLock);
			continue;
		}
		/* where its files are charged now (an index's are its table's) */
		nspoid = charged_namespace(rel);
		if (OidIsValid(charged->toast_of) && OidIsValid(nspoid))
			nspoid = get_rel_namespace(charged->toast_of);
		ntargets = targets_of_files(nspoid, rel->rd_rel->relowner,
									diskquota_relation_tablespace(rel->rd_rel->reltablespace),
									targets);
		relation_close(rel, charged->nested ? AccessShareLock : NoLock);
		total += growth;
		for (j = 0; j < ntargets; j++)
		{
			int			k;

			for (k = 0; k < ncharges; k++)
			{
				if (memcmp(&charges_buf[k].target, &targets[j], sizeof(DiskquotaTarget)) == 0)
					break;
			}
			if (k == ncharges)
			{
				charges_buf = grow_array(charges_buf, ncharges, &charges_buf_size,
										 sizeof(DiskquotaCharge));
				charges_buf[ncharges].target = targets[j];
				charges_buf[ncharges++].bytes = 0;
			}
			charges_buf[k].bytes += growth;
		}
	}
	charge_reckoned += reckoned;
	if (ncharges == 0)
	{
		/* nothing grew: as much again */
		charge_budget_left = charge_budget;
		return false;
	}
	return_reservation();
	result = diskquota_charge_headroom(MyDatabaseId, charges_buf, ncharges, crossed,
									   &remaining);
	if (charge_last_remaining > remaining && remaining < PG_INT64_MAX)
	{
		double		shrunk = (double) (charge_last_remaining - remaining);

		charge_shrunk += shrunk;
		charge_own += total;
		charge_writers = Max(Max(shrunk / total, charge_shrunk / charge_own), 1.0);
	}
	charge_last_remaining = remaining;
	pace_charges(remaining);
	if (!result)
	{
		/* what the next rows will write, shared as this growth was */
		double		next = (double) charge_budget *
		Min((double) total / Max(reckoned, 1), 1.0);

		reserved_charges = grow_array(reserved_charges, ncharges - 1,
									  &reserved_charges_size,
									  sizeof(DiskquotaCharge));
		for (i = 0; i < ncharges; i++)
		{
			reserved_charges[i].target = charges_buf[i].target;
			reserved_charges[i].bytes = (int64) (next * charges_buf[i].bytes / total);
		}
		charge_to_reserve = ncharges;
	}
	return result;
}

/*
 * The values of a row about to be written into one of rels (n of them)
 * take more than the headroom left at the last measurement: if they take
 * more than what those relations' targets have left now, the row is
 * refused before it is written (a row can hold hundreds of TOASTed values
 * of up to 1 GB each).  Rows routed to partitions are not checked (where
 * they go is not known yet).
 */
static pg_noinline void
refuse_oversized_row(Relation *rels, int n)
{
	DiskquotaTarget least_target;
	int64		least = PG_INT64_MAX;
	int			i;

	for (i = 0; i < n; i++)
	{
		Relation	rel = rels[i];
		DiskquotaTarget targets[5];
		DiskquotaTarget tightest;
		int64		remaining;
		int			ntargets;

		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
			return;
		ntargets = targets_of_files(charged_namespace(rel), rel->rd_rel->relowner,
									diskquota_relation_tablespace(rel->rd_rel->reltablespace),
									targets);
		if (diskquota_targets_headroom(MyDatabaseId, targets, ntargets,
									   &remaining, &tightest) &&
			remaining < least)
		{
			least = remaining;
			least_target = tightest;
		}
	}
	if (charge_row_values > least && !diskquota_paused())
		diskquota_report_rejected(&least_target, DQ_REFUSAL_STOPPED);
}

/* A poll is due: charge, and stop the statement if a headroom is used up */
static void
self_charge_poll(void)
{
	DiskquotaTarget crossed;

	charge_due = false;
	/* stopped already: a function caught the error (see charge_stopped) */
	if (unlikely(charge_stopped) && !diskquota_paused())
	{
		charge_budget_left = 0;
		diskquota_report_rejected(&charge_stopped_target, DQ_REFUSAL_STOPPED);
	}
	if (unlikely(charge_lazy))
	{
		/*
		 * Nested executions that joined were measured from when they started
		 * (diskquota_self_charge_join), whatever the headroom of their
		 * targets: what they wrote is charged now, with the rest.
		 */
		bool		joined = ncharged_rels > 0;

		self_charge_late_start();
		if (!joined)
			return;
	}
	if (self_charge_measure(&crossed))
	{
		if (!diskquota_paused())
		{
			charge_stopped = true;
			charge_stopped_target = crossed;
			charge_budget_left = 0;
			diskquota_report_rejected(&crossed, DQ_REFUSAL_STOPPED);
		}
	}

	else if (charge_to_reserve > 0)
	{
		diskquota_reserve_headroom(MyDatabaseId, reserved_charges, charge_to_reserve);
		nreserved_charges = charge_to_reserve;
		charge_to_reserve = 0;
	}
}

/*
 * The outermost writing execution ends: unwrap the nodes (restore: they
 * still exist) and, when it completed (charge_rest), charge what it wrote
 * since its last poll, for the statements running beside it and the next
 * ones; it is not stopped for that.  Then release what it measured.
 */
void
diskquota_self_charge_end(bool restore, bool charge_rest)
{
	if (!self_charging)
	{
		/* what a statement that did not charge itself took the sizes of */
		if (ncharged_rels > 0)
			release_charged_rels();
		return;
	}
	self_charging = false;
	charge_due = false;
	charge_depth = 0;
	if (restore)
		diskquota_self_charge_unwrap(0);
	ncharged_nodes = 0;
	if (charge_lazy)
		add_lazy_unmeasured();
	/* lazy: only what nested executions wrote (see self_charge_poll) */
	if (charge_rest && (!charge_lazy || ncharged_rels > 0))
	{
		DiskquotaTarget crossed;

		(void) self_charge_measure(&crossed);
	}
	release_charged_rels();
}

/*
 * CREATE TABLE AS, SELECT INTO, CREATE and REFRESH MATERIALIZED VIEW charge
 * themselves too.  They have no ModifyTable node: their query hands its
 * rows to a DestReceiver (intorel_receive, transientrel_receive) that
 * inserts them into the relation the statement created (the new relation,
 * or the new heap REFRESH fills), which relation_created (enforcement.c)
 * hands over in charge_new_relid.  A writing utility statement of that kind
 * sets charge_dest_pending (enforcement.c); the ExecutorRun of its query (the
 * next one whose
 * DestReceiver is of that kind) wraps the receiver's receiveSlot, which
 * measures as the ModifyTable input's wrapper does (charge_ExecProcNode).
 * At the first row the relation exists and is still empty: the wrapper then
 * takes its sizes and those of its TOAST relation, or unwraps itself if
 * none of its targets has a quota.  The query ends before the statement
 * drops what it created (REFRESH drops its new heap after the swap): it
 * charges its last growth and unwraps the receiver when its ExecutorRun
 * returns or fails.  Such a statement run by a function of a statement
 * that charges itself joins it (charge_dest_joined): its relation is
 * measured with the rest, as a nested execution's, and its receiver polls
 * for the whole statement.  Each nesting level saves and restores the state
 * below (run_writing_utility, run_charging_dest: enforcement.c).
 */
static Oid	charge_new_relid = InvalidOid;
static DestReceiver *charge_dest = NULL;
static bool (*charge_dest_real) (TupleTableSlot *slot, DestReceiver *self);
static bool charge_dest_ready = false;
static bool charge_dest_joined = false;

static void
unwrap_dest(void)
{
	if (charge_dest != NULL && charge_dest->receiveSlot != charge_dest_real)
		charge_dest->receiveSlot = charge_dest_real;
	charge_dest = NULL;
}

/* The first row: what is to be measured, if anything */
static void
charge_dest_setup(void)
{
	Relation	rel;
	DiskquotaTarget targets[5];
	int			ntargets;
	int64		remaining;

	charge_dest_ready = true;
	if (!OidIsValid(charge_new_relid))
	{
		unwrap_dest();
		return;
	}
	/* created in this transaction, which holds its lock */
	rel = relation_open(charge_new_relid, NoLock);
	if (charge_dest_joined)
	{
		/* its lock may go with a subtransaction: measured as nested */
		(void) add_charged_table(rel, true);
		lower_pace(rel);
		relation_close(rel, NoLock);
		return;
	}
	ntargets = targets_of_files(charged_namespace(rel), rel->rd_rel->relowner,
								diskquota_relation_tablespace(rel->rd_rel->reltablespace),
								targets);
	if (!diskquota_targets_headroom(MyDatabaseId, targets, ntargets, &remaining, NULL))
	{
		relation_close(rel, NoLock);
		unwrap_dest();
		return;
	}
	release_charged_rels();
	(void) add_charged_table(rel, false);
	relation_close(rel, NoLock);
	charge_due = false;
	start_pacing(remaining);
	/* ended by diskquota_self_charge_dest_end, not by a depth */
	charge_depth = 0;
	self_charging = ncharged_rels > 0;
	if (!self_charging)
		unwrap_dest();
}

/* The receiveSlot of the statement's DestReceiver: measures when due */
static bool
charge_receiveSlot(TupleTableSlot *slot, DestReceiver *self)
{
	if (unlikely(!charge_dest_ready))
		charge_dest_setup();
	if (self_charging && charge_rows_due(&slot, 1, NIL))
	{
		self_charge_poll();
		if (charge_row_values > charge_last_remaining &&
			OidIsValid(charge_new_relid))
		{
			Relation	rel = relation_open(charge_new_relid, NoLock);

			refuse_oversized_row(&rel, 1);
			relation_close(rel, NoLock);
		}
	}
	return charge_dest_real(slot, self);
}

/* Is queryDesc the query of a statement that is to charge its receiver? */
bool
diskquota_charges_dest(QueryDesc *queryDesc)
{
	return queryDesc->dest != NULL &&
		(queryDesc->dest->mydest == DestIntoRel ||
		 queryDesc->dest->mydest == DestTransientRel);
}

void
diskquota_self_charge_dest_begin(QueryDesc *queryDesc)
{
	charge_dest_joined = self_charging;
	charge_dest = queryDesc->dest;
	charge_dest_real = charge_dest->receiveSlot;
	charge_dest->receiveSlot = charge_receiveSlot;
	charge_dest_ready = false;
	if (!charge_dest_joined)
		charge_due = false;
}

/*
 * End the self-charging of a statement that charged its receiver or its
 * COPY: a completed one charges what it wrote since its last poll.
 */
static void
finish_self_charging(bool completed)
{
	if (completed)
	{
		DiskquotaTarget crossed;

		(void) self_charge_measure(&crossed);
	}
	self_charging = false;
	charge_due = false;
	release_charged_rels();
}

/*
 * Its ExecutorRun ends (completed: charge what it wrote since the last
 * poll).  True, with *stopped_target, if it completed although it stopped
 * itself (a function caught the error: see charge_stopped).
 */
bool
diskquota_self_charge_dest_end(bool completed, DiskquotaTarget *stopped_target)
{
	bool		stopped = false;

	if (self_charging && !charge_dest_joined)
	{
		stopped = completed && charge_stopped && !diskquota_paused();
		*stopped_target = charge_stopped_target;
		finish_self_charging(completed);
	}
	unwrap_dest();
	return stopped;
}

/*
 * COPY FROM charges itself too.  It has no executor node and no
 * DestReceiver: it inserts through the table access method of the
 * relation it loads into (table_multi_insert per batch of at most 1000
 * rows or 64 kB, table_tuple_insert per row where it cannot batch).  While
 * the outermost COPY FROM into a table one of whose targets has a quota
 * runs, the relation's cache entry points to copy_tableam, a copy of its
 * access method whose tuple_insert and multi_insert measure as the
 * ModifyTable input's wrapper does, then insert.  A rebuild of the cache
 * entry (an invalidation: a GRANT by a trigger, a concurrent ANALYZE)
 * resets rd_tableam: the relation cache callback points it back to
 * copy_tableam at once, before anything else can insert.  The entry is
 * restored when the COPY ends or fails.  Meanwhile code that insists on
 * heap's own routine (heap_getnext: pgstattuple, pgrowlocks) refuses the
 * table, which only the COPY's triggers could reach; CREATE INDEX, CLUSTER
 * and rewrites, which would, are refused on a table in use anyway.  What
 * it measures: the table, its indexes and its TOAST.  A COPY into a
 * partitioned table (the rows go to its partitions' cache entries) or a
 * foreign table does not charge itself: the worker stops it.
 */
static Relation copy_rel = NULL;
static const TableAmRoutine *copy_real_tableam = NULL;
static TableAmRoutine copy_tableam;

static void
copy_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
				  int options, struct BulkInsertStateData *bistate)
{
	if (self_charging && rel == copy_rel && charge_rows_due(&slot, 1, NIL))
	{
		self_charge_poll();
		if (charge_row_values > charge_last_remaining)
			refuse_oversized_row(&rel, 1);
	}
	copy_real_tableam->tuple_insert(rel, slot, cid, options, bistate);
}

static void
copy_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
				  CommandId cid, int options, struct BulkInsertStateData *bistate)
{
	if (self_charging && rel == copy_rel && charge_rows_due(slots, nslots, NIL))
	{
		self_charge_poll();
		if (charge_row_values > charge_last_remaining)
			refuse_oversized_row(&rel, 1);
	}
	copy_real_tableam->multi_insert(rel, slots, nslots, cid, options, bistate);
}

/* Point the relation's cache entry to copy_tableam */
static void
copy_wrap_tableam(void)
{
	if (copy_rel->rd_tableam == &copy_tableam)
		return;
	if (copy_real_tableam != copy_rel->rd_tableam)
	{
		copy_real_tableam = copy_rel->rd_tableam;
		copy_tableam = *copy_real_tableam;
		copy_tableam.tuple_insert = copy_tuple_insert;
		copy_tableam.multi_insert = copy_multi_insert;
	}
	copy_rel->rd_tableam = &copy_tableam;
}

/* The relation cache callback: a rebuilt entry is wrapped again */
static void
copy_relcache_callback(Datum arg, Oid relid)
{
	if (copy_rel != NULL &&
		(!OidIsValid(relid) || relid == RelationGetRelid(copy_rel)))
		copy_wrap_tableam();
}

/*
 * The outermost COPY FROM into relid starts: if it is to charge itself,
 * take the sizes of the table, its indexes and TOAST, and wrap its access
 * method.  The caller resolved relid with the lock COPY takes.
 */
bool
diskquota_copy_charge_begin(Oid relid)
{
	Relation	rel;
	DiskquotaTarget *targets;
	int			ntargets;
	int64		remaining;
	Oid			nspoid;
	Oid			owner;
	Oid			spcoid;
	List	   *indexes;
	ListCell   *lc;
	bool		quota;
	static bool registered = false;

	if (!diskquota_self_charge || self_charging)
		return false;
	rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		return false;
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_MATVIEW)
	{
		RelationClose(rel);
		return false;
	}
	nspoid = charged_namespace(rel);
	owner = rel->rd_rel->relowner;
	spcoid = diskquota_relation_tablespace(rel->rd_rel->reltablespace);
	indexes = RelationGetIndexList(rel);
	targets = palloc((1 + list_length(indexes)) * 5 * sizeof(DiskquotaTarget));
	ntargets = targets_of_files(nspoid, owner, spcoid, targets);
	foreach(lc, indexes)
	{
		Oid			indspc = diskquota_relation_tablespace(get_rel_tablespace(lfirst_oid(lc)));

		if (indspc != spcoid)
			ntargets += targets_of_files(nspoid, owner, indspc, targets + ntargets);
	}
	quota = diskquota_targets_headroom(MyDatabaseId, targets, ntargets, &remaining, NULL);
	pfree(targets);
	if (!quota)
	{
		list_free(indexes);
		RelationClose(rel);
		return false;
	}

	list_free(indexes);
	release_charged_rels();
	(void) add_charged_table(rel, false);

	if (!registered)
	{
		CacheRegisterRelcacheCallback(copy_relcache_callback, (Datum) 0);
		registered = true;
	}
	copy_rel = rel;
	copy_wrap_tableam();
	ncharged_nodes = 0;
	charge_due = false;
	start_pacing(remaining);
	/* ended by diskquota_copy_charge_end, not by a depth */
	charge_depth = 0;
	self_charging = true;
	return true;
}

/* The COPY ends (completed: charge what it wrote since its last poll) */
void
diskquota_copy_charge_end(bool completed)
{
	if (copy_rel == NULL)
		return;
	if (copy_rel->rd_tableam == &copy_tableam)
		copy_rel->rd_tableam = copy_real_tableam;
	/* on an error, the reference goes with the resource owner that took it */
	if (completed)
		RelationClose(copy_rel);
	copy_rel = NULL;
	if (self_charging)
		finish_self_charging(completed);
}

/*
 * REFRESH MATERIALIZED VIEW (not CONCURRENTLY) rebuilds the view's indexes
 * after its query filled the new heap, with no executor node to poll and
 * no receiver: their new files are charged when the statement's work is
 * done, and the statement fails with the quota error if they do not fit in
 * what its targets have left (its new files then go with the transaction).
 * REFRESH CONCURRENTLY updates the indexes through statements that charge
 * themselves.
 */
void
diskquota_charge_rebuilt_indexes(Oid relid)
{
	Relation	rel = relation_open(relid, NoLock);
	DiskquotaCharge charges[5];
	DiskquotaTarget targets[5];
	DiskquotaTarget crossed;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	int64		bytes = 0;
	int64		remaining;
	int			ntargets;
	int			i;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);

		bytes += (int64) smgrnblocks(RelationGetSmgr(index), MAIN_FORKNUM) * BLCKSZ;
		index_close(index, NoLock);
	}
	list_free(indexes);
	ntargets = targets_of_files(charged_namespace(rel), rel->rd_rel->relowner,
								diskquota_relation_tablespace(rel->rd_rel->reltablespace),
								targets);
	relation_close(rel, NoLock);
	if (bytes == 0)
		return;
	for (i = 0; i < ntargets; i++)
	{
		charges[i].target = targets[i];
		charges[i].bytes = bytes;
	}
	if (diskquota_charge_headroom(MyDatabaseId, charges, ntargets, &crossed,
								  &remaining) &&
		!diskquota_paused())
		diskquota_report_rejected(&crossed, DQ_REFUSAL_STOPPED);
}

/* ----------------------------------------------------------------
 * What enforcement.c reads and sets of the above
 * ----------------------------------------------------------------
 */

/* Does the running statement charge itself? */
bool
diskquota_self_charging(void)
{
	return self_charging;
}

/*
 * The timeout handler fired (a signal handler: it only sets a flag): the
 * statement that charges itself measures at its next row (self_charge_poll)
 */
void
diskquota_self_charge_due_from_handler(void)
{
	if (self_charging)
		charge_due = true;
}

/* write_depth of the execution that began charging (charge_depth) */
int
diskquota_self_charge_depth(void)
{
	return charge_depth;
}

/* Did the statement stop itself (see charge_stopped), and at what target? */
bool
diskquota_self_charge_stopped(void)
{
	return charge_stopped;
}

const DiskquotaTarget *
diskquota_self_charge_stopped_target(void)
{
	return &charge_stopped_target;
}

/*
 * How many plan nodes are wrapped: what diskquota_self_charge_unwrap takes
 * to unwrap those an execution wraps from now on
 */
int
diskquota_self_charge_wrapped(void)
{
	return ncharged_nodes;
}

/* The relation a CREATE TABLE AS or REFRESH created (charge_new_relid) */
Oid
diskquota_self_charge_new_relid(void)
{
	return charge_new_relid;
}

void
diskquota_self_charge_set_new_relid(Oid relid)
{
	charge_new_relid = relid;
}

/* Save and restore the charging receiver of a nesting level */
void
diskquota_self_charge_dest_save(DiskquotaChargeDest *saved)
{
	saved->dest = charge_dest;
	saved->real = charge_dest_real;
	saved->ready = charge_dest_ready;
	saved->joined = charge_dest_joined;
}

void
diskquota_self_charge_dest_restore(const DiskquotaChargeDest *saved)
{
	charge_dest = saved->dest;
	charge_dest_real = saved->real;
	charge_dest_ready = saved->ready;
	charge_dest_joined = saved->joined;
}

/*
 * The transaction aborts at top level: the receiver and the EStates of
 * routing are gone, and the COPY's relation goes with the resource owner
 */
void
diskquota_self_charge_at_abort(void)
{
	charge_dest = NULL;
	ncharged_routings = 0;
	if (copy_rel != NULL)
	{
		/* its reference goes with the resource owner */
		if (copy_rel->rd_tableam == &copy_tableam)
			copy_rel->rd_tableam = copy_real_tableam;
		copy_rel = NULL;
	}
}

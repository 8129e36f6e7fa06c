# A tenant cannot stall the worker and then load past a quota while
# status() says "running": the worker never waits for the extension's lock,
# waits at most lock_timeout (1 s) for any other, retries, and says so in
# status(); once a database has not been refreshed for a while (fail closed:
# 10 s here), loads into its targets that have a quota are refused, running
# ones stopped, with a message of their own; wait_for_worker_new_epoch()
# gives up instead of hanging.  Running statements charge their own growth
# (diskquota.self_charge): that must not make them wait where the worker is
# held (a measured relation's index list is read from pg_index only when
# that does not wait behind a queued exclusive lock).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('stall');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres, atk'
diskquota.naptime = 1
diskquota.self_charge = on
max_prepared_transactions = 2
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION diskquota;
CREATE ROLE tenant LOGIN;
CREATE DATABASE atk;
});
$node->safe_psql('atk', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA t AUTHORIZATION tenant;
CREATE SCHEMA big AUTHORIZATION tenant;
CREATE SCHEMA free AUTHORIZATION tenant;
SELECT diskquota.set_schema_quota('t', '1 MB');
SELECT diskquota.set_schema_quota('big', '100 GB');
CREATE FUNCTION t.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER FUNCTION t.f() OWNER TO tenant;
CREATE TABLE t.w (g int, pad text);
CREATE TABLE big.w (g int);
CREATE TABLE free.w (g int);
ALTER TABLE t.w OWNER TO tenant;
ALTER TABLE big.w OWNER TO tenant;
ALTER TABLE free.w OWNER TO tenant;
});
is($node->safe_psql('atk', 'SELECT diskquota.wait_for_worker_new_epoch()'), 't', 'worker runs');

sub reason_like
{
	my ($pattern) = @_;
	return $node->poll_query_until('postgres',
		"SELECT degraded_reason LIKE '$pattern' FROM diskquota.status() WHERE database_name = 'atk'");
}

sub reason_clear
{
	return $node->poll_query_until('postgres',
		"SELECT coalesce(degraded_reason, '') NOT LIKE '%refused%' AND coalesce(degraded_reason, '') NOT LIKE '%blocked%' FROM diskquota.status() WHERE database_name = 'atk'");
}

my $stale_msg = qr/diskquota cannot enforce quotas in database "atk"/;

# A warm tenant session, connected before the attack
my $tenant = $node->background_psql('atk', on_error_stop => 0, extra_params => [ '-U', 'tenant' ]);
$tenant->query_safe('INSERT INTO t.w VALUES (0, NULL)');

# --- Finding 1: the extension's lock, held by a tenant ---
my $holder = $node->background_psql('atk', extra_params => [ '-U', 'tenant' ]);
$holder->query_safe('BEGIN');
$holder->query_safe('ALTER FUNCTION t.f() DEPENDS ON EXTENSION diskquota');

ok(reason_like('%refresh blocked by a lock%'), 'status() says the refresh is blocked');
is($node->safe_psql('postgres',
		"SELECT state FROM diskquota.status() WHERE database_name = 'atk'"),
	'running', 'the worker is not stuck in a lock wait: it still runs');
my ($ret, $out, $err) = $node->psql('atk', 'SELECT diskquota.wait_for_worker_new_epoch()');
is($out, 'f', 'wait_for_worker_new_epoch() gives up');
like($err, qr/has not completed a refresh/, 'and says why');
ok(reason_like('%loads into targets with a quota are refused%'), 'the database turns stale');

# loads into a target with a quota are refused, with SQLSTATE 53100
($ret, $out, $err) = $node->psql('atk',
	q{\set VERBOSITY verbose
INSERT INTO t.w SELECT g, repeat('x', 500) FROM generate_series(1, 100) g},
	extra_params => [ '-U', 'tenant' ]);
like($err, qr/53100: diskquota cannot enforce quotas in database "atk"/, 'a load into a schema with a quota is refused');
like($err, qr/refresh waits for a lock/, 'the detail says why');
($ret, $out, $err) = $node->psql('atk', 'CREATE TABLE t.big AS SELECT 1 AS g',
	extra_params => [ '-U', 'tenant' ]);
like($err, $stale_msg, 'so is CREATE TABLE AS');
$ret = $tenant->query('INSERT INTO t.w VALUES (1, NULL)');
like($tenant->{stderr}, $stale_msg, 'also in a session connected before the stall');
$tenant->{stderr} = '';
is($node->psql('atk', 'INSERT INTO free.w VALUES (1)', extra_params => [ '-U', 'tenant' ]),
	0, 'a schema without a quota is not affected');

# A running load into a target with a quota is stopped: it waits on an
# advisory lock while it writes
my $blocker = $node->background_psql('atk');
$blocker->query_safe('SELECT pg_advisory_lock(4242)');
my $loader = $node->background_psql('atk', on_error_stop => 0, extra_params => [ '-U', 'tenant' ]);
$holder->query_safe('ROLLBACK');
ok(reason_clear(), 'the worker refreshes again once the lock is gone');
$loader->query_until(qr/loading/, q{\echo loading
INSERT INTO big.w SELECT g FROM generate_series(1, 10) g WHERE pg_advisory_lock_shared(4242) IS NOT NULL;
});
$holder->query_safe('BEGIN');
$holder->query_safe('ALTER FUNCTION t.f() DEPENDS ON EXTENSION diskquota');
ok(reason_like('%loads into targets with a quota are refused%'), 'stale again');
$blocker->query_safe('SELECT pg_advisory_unlock(4242)');
$loader->query('SELECT 1');
like($loader->{stderr}, $stale_msg, 'the running load was stopped');
$loader->quit;
$holder->query_safe('ROLLBACK');
ok(reason_clear(), 'fresh again');
is($node->psql('atk', 'INSERT INTO t.w VALUES (2, NULL)', extra_params => [ '-U', 'tenant' ]),
	0, 'loads under the quota are accepted again');

# --- Finding 3: an exclusive lock queued on a catalog the worker reads ---
$holder->query_safe('BEGIN');
$holder->query_safe('SELECT count(*) FROM pg_catalog.pg_index');
my $queuer = $node->background_psql('atk', on_error_stop => 0, extra_params => [ '-U', 'tenant' ]);
$queuer->query_until(qr/queued/, q{\echo queued
ALTER INDEX pg_catalog.pg_index DEPENDS ON EXTENSION diskquota;
});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) > 0 FROM pg_locks
		  WHERE relation = 'pg_catalog.pg_index'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted
		    AND database = (SELECT oid FROM pg_database WHERE datname = 'atk')}),
	'an exclusive lock on pg_index is queued');
# new pages (the file-change feed sees them) make the worker open pg_index
$tenant->query_safe(q{INSERT INTO t.w SELECT g, repeat('x', 500) FROM generate_series(1, 100) g});
ok(reason_like('%refresh blocked by a lock%'), 'status() says the refresh is blocked');
ok(reason_like('%loads into targets with a quota are refused%'), 'the database turns stale');
$ret = $tenant->query(q{INSERT INTO t.w SELECT g, repeat('x', 500) FROM generate_series(1, 100) g});
like($tenant->{stderr}, $stale_msg, 'the warm session cannot load into its schema');
$tenant->{stderr} = '';
$holder->query_safe('COMMIT');
$queuer->query('SELECT 1');
$queuer->quit;
ok(reason_clear(), 'fresh once the queue is gone');

# --- Finding 1 and 4: a prepared transaction keeps the lock over a restart;
# before the first refresh nothing is known of the quotas: every load is
# refused ---
$holder->query_safe('BEGIN');
$holder->query_safe('ALTER FUNCTION t.f() DEPENDS ON EXTENSION diskquota');
$holder->query_safe("PREPARE TRANSACTION 'hold_ext'");
$holder->quit;
$tenant->quit;
$blocker->quit;
$node->restart;
ok(reason_like('%since diskquota began to monitor the database%'), 'stale from the start');
($ret, $out, $err) = $node->psql('atk', 'INSERT INTO free.w VALUES (1)',
	extra_params => [ '-U', 'tenant' ]);
like($err, qr/diskquota cannot enforce quotas in database "atk".*\n.*every load is refused/,
	'every load is refused before the first refresh');
$node->safe_psql('atk', "ROLLBACK PREPARED 'hold_ext'");
is($node->safe_psql('atk', 'SELECT diskquota.wait_for_worker_new_epoch()'), 't', 'refreshes again');
ok(reason_clear(), 'fresh');
is($node->psql('atk', 'INSERT INTO free.w VALUES (1)', extra_params => [ '-U', 'tenant' ]),
	0, 'loads accepted again');

$node->stop;
done_testing();

# Launcher and workers: databases added and removed by a reload, a listed
# database that appears later, a worker killed with SIGKILL, no free worker
# slot, and a worker that holds no snapshot or lock while it sleeps.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

my $node = PostgreSQL::Test::Cluster->new('workers');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
diskquota.naptime = 1
max_worker_processes = 8
restart_after_crash = on
});
$node->start;

# state of one database in diskquota.status(), '' when not listed
sub db_state
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce((SELECT state FROM diskquota.status() WHERE database_name = '$db'), '')"
	);
}

sub wait_for_state
{
	my ($db, $state) = @_;
	return $node->poll_query_until('postgres',
		"SELECT state = '$state' FROM diskquota.status() WHERE database_name = '$db'"
	);
}

$node->safe_psql('postgres', 'CREATE EXTENSION diskquota');
ok(wait_for_state('postgres', 'running'), 'worker starts after CREATE EXTENSION');

# A second database, not monitored yet: CREATE EXTENSION warns.
$node->safe_psql('postgres', 'CREATE DATABASE db2');
my ($ret, $stdout, $stderr) =
  $node->psql('db2', 'CREATE EXTENSION diskquota');
is($ret, 0, 'CREATE EXTENSION in an unmonitored database succeeds');
like(
	$stderr,
	qr/WARNING:  diskquota will not enforce quotas in database "db2"/,
	'... with a warning');
is(db_state('db2'), '', 'db2 is not monitored');

# Reload adds it.
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres, db2'");
$node->reload;
ok(wait_for_state('db2', 'running'), 'reload starts a worker for db2');

# Enforcement works there.
$node->safe_psql(
	'db2', q{
CREATE SCHEMA s;
CREATE TABLE s.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
});
($ret, $stdout, $stderr) =
  $node->psql('db2', 'INSERT INTO s.t VALUES (1)');
like(
	$stderr,
	qr/schema's disk space quota exceeded with name: s/,
	'load refused in db2');

# Reload removes it: the worker stops, the rejection is gone.
my $db2_pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'db2'");
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres'");
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $db2_pid"),
	'worker of db2 stops after reload');
# the launcher frees the slot once it learns that the worker exited
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM diskquota.status() WHERE database_name = 'db2'"),
	'db2 no longer in status');
($ret, $stdout, $stderr) =
  $node->psql('db2', 'INSERT INTO s.t VALUES (1)');
is($ret, 0, 'no enforcement in a database no longer monitored');
($ret, $stdout, $stderr) =
  $node->psql('db2', 'SELECT diskquota.wait_for_worker_new_epoch()');
like($stderr, qr/diskquota worker is not running for database "db2"/,
	'wait_for_worker_new_epoch says the worker is not running');

# A listed database that does not exist yet: logged, then picked up after
# CREATE DATABASE and CREATE EXTENSION without a restart.
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres, db2, db3'");
$node->reload;
$node->wait_for_log(
	qr/database "db3" listed in diskquota.monitor_databases does not exist/,
	$log_offset);
ok(wait_for_state('db3', 'database does not exist'), 'status shows db3 missing');
ok(wait_for_state('db2', 'running'), 'db2 monitored again');
$node->safe_psql('postgres', 'CREATE DATABASE db3');
ok(wait_for_state('db3', 'extension not created'),
	'db3 found, extension missing');
$node->wait_for_log(
	qr/LOG:  diskquota does not enforce quotas in database "db3"\n.*DETAIL:  Extension "diskquota" has not been created in the database/,
	$log_offset);
$node->safe_psql('db3', 'CREATE EXTENSION diskquota');
ok(wait_for_state('db3', 'running'), 'db3 picked up after CREATE EXTENSION');
my $log = slurp_file($node->logfile, $log_offset);
my @missing = ($log =~ /database "db3" listed in diskquota.monitor_databases does not exist/g);
is(scalar @missing, 1, 'a missing database is logged once');

# The worker sleeps holding no snapshot and no lock.
ok( $node->poll_query_until(
		'postgres', q{
SELECT a.state = 'idle' AND a.backend_xmin IS NULL AND a.backend_xid IS NULL
   AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid)
  FROM pg_stat_activity a
 WHERE a.backend_type = 'diskquota worker' AND a.datname = 'postgres'}),
	'sleeping worker holds no snapshot and no lock');

# A worker killed with SIGKILL: the postmaster restarts everything and
# enforcement comes back with the first refresh.  How long it is off (from
# the kill until an INSERT into the over-quota schema is refused again) is
# measured and reported.
my $pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'db2'");
my $killed = Time::HiRes::time();
kill 'KILL', $pid;
my $back;
for (1 .. 1200)
{
	# refused again by the restarted server, not by the one being killed
	($ret, $stdout, $stderr) = $node->psql('db2',
		"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'db2'");
	if ($ret == 0 && $stdout ne '' && $stdout ne $pid)
	{
		($ret, $stdout, $stderr) = $node->psql('db2', 'INSERT INTO s.t VALUES (1)');
		if ($stderr =~ /schema's disk space quota exceeded with name: s/)
		{
			$back = Time::HiRes::time();
			last;
		}
	}
	Time::HiRes::usleep(50_000);
}
ok(defined $back, 'enforcement is back after SIGKILL');
diag(sprintf('enforcement was off for %.2f s after the SIGKILL of the worker',
		$back - $killed))
  if defined $back;
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' AND worker_pid <> $pid FROM diskquota.status() WHERE database_name = 'db2'"
	),
	'worker is back after SIGKILL');

# A worker that exits with an error (here: terminated) is restarted by the
# launcher.
$pid = $node->safe_psql('postgres',
	"SELECT worker_pid FROM diskquota.status() WHERE database_name = 'db2'");
kill 'TERM', $pid;
ok( $node->poll_query_until(
		'postgres',
		"SELECT state = 'running' AND worker_pid <> $pid FROM diskquota.status() WHERE database_name = 'db2'"
	),
	'worker restarted by the launcher after it exited');

# quota_config is dumped by pg_dump, with targets by name.
$node->command_like(
	[ 'pg_dump', '--data-only', '-t', 'diskquota.quota_config', $node->connstr('db2') ],
	qr/^COPY diskquota\.quota_config .*\nschema\ts\t\\N\t1048576\t\\N\t\\N\tf\t\\N\t\\N\t\\N\t\\N\t\\N\tt\tt\t\\N\n/m,
	'pg_dump dumps the quotas');

# No free background worker slot (4 = launcher, logical replication
# launcher and two workers): said, with a hint, and retried.
$node->safe_psql('postgres', 'CREATE DATABASE db4');
$node->safe_psql('db4', 'CREATE EXTENSION diskquota');
$node->append_conf('postgresql.conf', 'max_worker_processes = 4');
$node->restart;
$log_offset = 0;
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres, db2, db3, db4'");
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 2 FROM diskquota.status() WHERE state = 'no free worker slot'"
	),
	'databases without a worker slot are shown');
$node->wait_for_log(qr/HINT:  Increase max_worker_processes/);
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres, db4'");
$node->reload;
ok(wait_for_state('db4', 'running'), 'retried once a slot is free');

# DROP EXTENSION stops the database's worker, with no pause() first; the
# launcher then reports the extension missing.
$node->safe_psql('db4', 'DROP EXTENSION diskquota');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'diskquota worker' AND datname = 'db4'"
	),
	'DROP EXTENSION stops the worker');
ok(wait_for_state('db4', 'extension not created'), 'status says the extension is missing');

$node->stop;

# Without shared_preload_libraries the functions say so.
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION diskquota; CREATE SCHEMA s');
($ret, $stdout, $stderr) = $plain->psql('postgres',
	"SELECT diskquota.set_schema_quota('s', '1 MB')",
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like(
	$stderr,
	qr/ERROR:  55000: diskquota is not loaded/,
	'clear error when the library is not preloaded');
like($stderr, qr/shared_preload_libraries/, '... with a hint');
($ret, $stdout, $stderr) = $plain->psql('postgres',
	"SELECT diskquota.relation_size('pg_class')");
like($stderr, qr/diskquota is not loaded/, 'relation_size() needs the library preloaded too');
$plain->stop;

done_testing();

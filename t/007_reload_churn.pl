# diskquota.monitor_databases changed by ALTER SYSTEM and a reload, over and
# over, with databases added and removed: no leaked worker or database slot.
# diskquota.max_databases is 4 and three of six databases are monitored at
# a time, so a slot not given back would soon leave a database without one.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('churn');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
diskquota.max_databases = 4
diskquota.naptime = 1
max_worker_processes = 8
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION diskquota');
for my $i (1 .. 6)
{
	$node->safe_psql('postgres', "CREATE DATABASE c$i");
	$node->safe_psql("c$i", 'CREATE EXTENSION diskquota');
}

# the databases whose workers run, from status() and from pg_stat_activity
sub running
{
	return $node->safe_psql(
		'postgres', q{
SELECT string_agg(database_name, ',' ORDER BY database_name) || ' / ' ||
       (SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_stat_activity
         WHERE backend_type = 'diskquota worker')
  FROM diskquota.status()});
}

my $ok = 1;
for my $round (0 .. 11)
{
	# postgres (to query status()) and two of c1..c6, rotating
	my @dbs = ('postgres', 'c' . (1 + $round % 6), 'c' . (1 + ($round + 3) % 6));
	@dbs = sort @dbs;
	my $list = join(',', @dbs);
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET diskquota.monitor_databases = '$list'");
	$node->reload;
	my $want = "$list / $list";
	my $polled = $node->poll_query_until(
		'postgres', q{
SELECT (SELECT string_agg(database_name, ',' ORDER BY database_name)
          FROM diskquota.status() WHERE state = 'running') || ' / ' ||
       (SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_stat_activity
         WHERE backend_type = 'diskquota worker')
       || (SELECT CASE WHEN count(*) = 3 THEN '' ELSE ' +' || count(*) END
             FROM diskquota.status())},
		$want);
	if (!$polled)
	{
		diag("round $round: want $want, have " . running());
		$ok = 0;
		last;
	}
}
ok($ok, 'twelve reloads: exactly the listed databases have a worker and a status row');

# Every database can still get a slot: the three others at once.
$node->safe_psql('postgres',
	"ALTER SYSTEM SET diskquota.monitor_databases = 'postgres, c2, c4, c6'");
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 4 FROM diskquota.status() WHERE state = 'running'"),
	'all database slots usable after the churn');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'diskquota worker'"),
	'4',
	'one worker per monitored database');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'diskquota launcher'"),
	'1',
	'one launcher');
my $log = slurp_file($node->logfile);
unlike($log, qr/cannot monitor|could not start|no free|ERROR/,
	'no error and no slot shortage in the log');
# a worker stopped while it sleeps says why; one stopped in the middle of a
# refresh is terminated at once (FATAL ... administrator command)
like(
	$log,
	qr/LOG:  diskquota worker of database "c\d" stops\n.*DETAIL:  The database is no longer listed in diskquota.monitor_databases/,
	'a sleeping worker exits with a LOG line');

$node->stop;
done_testing();

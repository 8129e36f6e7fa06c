# A grace period survives a clean restart, a crash of the whole server and
# the worker's own death: it neither restarts (its start and end stay what
# the first refresh over the soft limit stamped) nor is forgotten (a
# period that ended while the server was down refuses loads at the first
# refresh after it).  Advisory thresholds reached stay reached.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use DiskquotaNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = diskquota_node(
	'grace_restart', q{
# refreshes only when a test asks for one, or at start
diskquota.naptime = 3600
});

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA s;
CREATE TABLE s.t AS SELECT generate_series(1, 100000) AS i;
CREATE SCHEMA a;
CREATE TABLE a.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_quota('schema', 's', '1 GB', soft => '1 MB', grace => '1 day');
SELECT diskquota.set_quota('schema', 'a', NULL, advisory => '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
});


# what diskquota.quotas says of schema s: state, start and end of grace
sub grace
{
	return $node->safe_psql('postgres',
		"SELECT state || ' ' || over_soft_since || ' ' || grace_expires_at"
		  . " FROM diskquota.quotas WHERE target_name = 's'");
}

sub advisory
{
	return $node->safe_psql('postgres',
		"SELECT state || ' ' || advisory_reached::text FROM diskquota.quotas WHERE target_name = 'a'");
}

sub refused
{
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		'INSERT INTO s.t VALUES (1)',
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return $stderr =~ /ERROR:  53100: schema's disk space quota exceeded with name: s/;
}



my $before = grace();
like($before, qr/^soft /, 'in grace after the first refresh over the soft limit');
like(advisory(), qr/^advisory \{1048576\}$/, 'advisory threshold reached');
ok(!refused(), 'nothing refused in grace');

# A clean restart.
my $old_worker = worker_pid();
$node->restart;
wait_running('a restart', $old_worker);
is(grace(), $before, 'the grace period neither restarted nor was forgotten over a restart');
like(advisory(), qr/^advisory \{1048576\}$/, 'the advisory threshold is still reached');

# The worker dies alone (SIGKILL: the postmaster restarts the whole server).
$old_worker = worker_pid();
my $log_offset = -s $node->logfile;
kill 'KILL', $old_worker;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
wait_running('a crash of the worker', $old_worker);
is(grace(), $before, 'the grace period survives a crash of the worker');

# The period ends around a restart: refused at the first refresh after
# its end, from the stored end alone.
my $until = $node->safe_psql('postgres', "SELECT now() + interval '1 second'");
$node->safe_psql('postgres', "SELECT diskquota.extend_grace('schema', 's', '$until')");
epoch();
like(grace(), qr/^soft /, 'still in grace before its new end');
$old_worker = worker_pid();
$node->restart;
wait_running('the last restart', $old_worker);
ok($node->poll_query_until('postgres', "SELECT now() > '$until'"), 'the new end passed');
epoch();
like(grace(), qr/^grace_expired /, 'the grace period ended while the server was down');
ok(refused(), 'loads refused at the first refresh after it');

# Each event fired once, over a restart, a crash and another restart.
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(target_name || ' ' || event, ', ' ORDER BY target_name, id) FROM diskquota.events
 WHERE target_type IS NOT NULL}),
	'a advisory_exceeded, s soft_exceeded, s grace_expiring, s grace_expired',
	'each event fired once across restarts and a crash');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM diskquota.events WHERE event = 'worker_started' AND target_type IS NULL"),
	'4', 'worker_started once per worker: the start, two restarts and the crash');

$node->stop;
done_testing();

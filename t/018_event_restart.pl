# Events across crashes and restarts: a threshold crossed just before the
# server crashes fires once after it (not lost, and not twice if the
# worker logged it before the crash); a reminder comes a reminder interval
# after the last event, whose time survives a restart, so a restart neither
# repeats nor skips one; refusals logged before a restart are not logged
# again after it.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/lib";
use DiskquotaNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = diskquota_node(
	'event_restart', q{
# refreshes only when a test asks for one, or at start
diskquota.naptime = 3600
});

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION diskquota;
CREATE SCHEMA s;
CREATE TABLE s.t(i int);
SELECT diskquota.set_quota('schema', 's', '100 MB', advisory => '1 MB');
SELECT diskquota.set_quota_notifications('schema', 's', true, interval '1 hour');
SELECT diskquota.wait_for_worker_new_epoch();
});


sub events
{
	return $node->safe_psql('postgres',
		"SELECT coalesce(string_agg(event || coalesce(' ' || count, ''), ', ' ORDER BY id), '')"
		  . " FROM diskquota.events WHERE target_name = 's'");
}



is(events(), '', 'nothing happened yet');

# Crossing the threshold, then the server crashes at once (an immediate
# stop): whether or not the worker logged the event before, it is in the
# log once after the restart.
$node->safe_psql('postgres', 'INSERT INTO s.t SELECT generate_series(1, 100000)');
$node->stop('immediate');
$node->start;
wait_running('a crash right after the threshold was crossed');
is(events(), 'advisory_exceeded 1', 'the event of a change made just before a crash fired once');

# The worker dies (SIGKILL: the postmaster restarts the whole server) after
# it logged the event: not repeated.
my $log_offset = -s $node->logfile;
kill 'KILL', worker_pid();
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
wait_running('a crash of the worker');
is(events(), 'advisory_exceeded 1', 'not repeated after a crash of the worker');

# Reminders: none within the hour after the last event, restart or not.
$node->restart;
wait_running('a restart');
is(events(), 'advisory_exceeded 1', 'no reminder within the interval, over a restart');

# An hour passed since the last event (its stored time moved back): one
# reminder, and its time stored, so the next restart does not repeat it.
$node->safe_psql('postgres',
	"UPDATE diskquota.quota_state SET notified_at = notified_at - interval '61 minutes'"
	  . " WHERE target_oid = 's'::regnamespace");
epoch();
is(events(), 'advisory_exceeded 1, reminder 1', 'a reminder an interval after the last event');
$node->restart;
wait_running('a restart after the reminder');
epoch();
is(events(), 'advisory_exceeded 1, reminder 1', 'the reminder is not repeated over a restart');

# Refusals: logged once with their count; a restart does not log them
# again (the counters are of shared memory, and were logged).
$node->safe_psql('postgres',
	"SELECT diskquota.set_quota('schema', 's', '2 MB', advisory => '1 MB')");
epoch();
for my $i (1 .. 2)
{
	my ($ret, $stdout, $stderr) = $node->psql('postgres', 'INSERT INTO s.t VALUES (1)',
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($stderr, qr/ERROR:  53100: schema's disk space quota exceeded with name: s/,
		"INSERT $i refused");
}
epoch();
my $refused = 'advisory_exceeded 1, reminder 1, hard_exceeded 1, write_denied 2';
is(events(), $refused, 'the refusals logged once, with their count');
$node->restart;
wait_running('a restart after the refusals');
epoch();
is(events(), $refused, 'the refusals are not logged again after a restart');
is( $node->safe_psql(
		'postgres', "SELECT denied_count FROM diskquota.quotas WHERE target_name = 's'"),
	'0', 'the refusal counters start again from zero with the server');

$node->stop;
done_testing();

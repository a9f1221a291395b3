"""What `quantis up` does, one job per module: `startup` (home, database, data, servers and
what is printed about them), `decision` (which jobs to run), `progress` (running a job with
the progress display and its outcome table) and `supervisor` (keeping the servers up)."""

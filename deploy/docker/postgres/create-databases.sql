-- Run once by the postgres image on a new data volume (/docker-entrypoint-initdb.d): the
-- databases of MLflow's backend store and of the Dagster instance, beside Quantis's own
-- (POSTGRES_DB), all owned by the one compose user (POSTGRES_USER).
CREATE DATABASE mlflow;
CREATE DATABASE dagster;

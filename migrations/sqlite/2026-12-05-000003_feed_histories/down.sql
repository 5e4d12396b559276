DROP TABLE feed_histories;

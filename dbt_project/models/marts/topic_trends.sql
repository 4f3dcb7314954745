{{ topic_trends_by('month') }}

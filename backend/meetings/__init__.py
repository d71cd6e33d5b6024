"""Meetings: grid work meetings (例会) and the linkage joint meeting (联席会议)."""

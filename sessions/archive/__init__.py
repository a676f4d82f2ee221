"""Readers and writers of archive formats: NICE docsify Markdown, JSON backups."""

"""Make the gradebook's students the roster's learners (run by academy.py as the instructor).

academy.py feeds this file to the hub environment's Python, in the instructor's course folder,
and appends a call to ``sync`` with the roster as JSON. The gradebook is found through the
course's own config (``grader.course.Course``), so SQLite and PostgreSQL are handled alike.
A learner who left the roster but has submissions is kept: dropping them would delete grades.
"""

import json
from pathlib import Path

from nbgrader.api import Gradebook

from grader.course import Course


def sync(roster_json: str) -> str:
    """Add or update every roster learner; remove students without submissions who left it."""
    roster = json.loads(roster_json)
    course = Course(Path.cwd())
    wanted = {row["user"] for row in roster}
    with Gradebook(course.db_url, course.coursedir.course_id) as gradebook:
        for row in roster:
            first, _, last = row["name"].partition(" ")
            gradebook.update_or_create_student(row["user"], first_name=first, last_name=last, email=row["email"])
        kept, removed = [], []
        for student in gradebook.students:
            if student.id in wanted:
                continue
            if student.submissions:
                kept.append(student.id)
            else:
                gradebook.remove_student(student.id)
                removed.append(student.id)
    words = f"{len(wanted)} learners in {course.db_url.split('@')[-1]}"
    if removed:
        words += f"; removed {', '.join(removed)}"
    if kept:
        words += f"; kept {', '.join(kept)} (they have submissions)"
    return words

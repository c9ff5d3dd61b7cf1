-- The bare-DuckDB jobs' reads of the two reports: users, then activity (split on the blank line).
read_csv($users, header = true, types = {
    'Email': 'VARCHAR', 'User Type': 'VARCHAR', 'Enabled': 'VARCHAR',
    'Date Created': 'TIMESTAMP', 'Last Login': 'TIMESTAMP', 'User ID': 'VARCHAR'})

read_csv($activity, header = true, types = {
    'Email': 'VARCHAR', 'Login Date': 'TIMESTAMP', 'Course': 'VARCHAR'})

-- Runs at every start; on conflict keeps it idempotent and leaves edited descriptions alone.
insert into courses (name, description) values
    ('Introduction to Algorithms', 'Sorting, searching, graph algorithms and the analysis of their running time, from divide and conquer to dynamic programming.'),
    ('Operating Systems', 'Processes, threads, scheduling, virtual memory, file systems and the concurrency problems that come with them.'),
    ('Databases', 'The relational model, SQL, transactions and isolation, indexing and query planning, with PostgreSQL in the labs.'),
    ('Computer Networks', 'From Ethernet frames to HTTP: routing, TCP congestion control, DNS, TLS and how the internet holds together.'),
    ('Linear Algebra', 'Vector spaces, linear maps, eigenvalues, orthogonality and the singular value decomposition, with applications in data science.'),
    ('Machine Learning', 'Supervised and unsupervised learning, regularisation, neural networks and how to evaluate a model honestly.')
on conflict (name) do nothing;

module github.com/chapelapp/chapel

go 1.24.1

require github.com/ollama/ollama v0.17.4

require github.com/mattn/go-sqlite3 v1.14.28 // indirect

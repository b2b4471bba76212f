"""Write wizardcoder_nb/resources/decontam/planted_holdout.jsonl: the held-out planted set (`decontam.planted_rows('holdout')`).

Built like tools/make_planted_decontam.py's calibration set, on 40 other HumanEval/MBPP items: 40 contaminated rows
(8 per rewriting style, all written here; renamed rows change function and parameter names, solution-only rows carry a
correct solution under new names) and 40 clean near-misses (a task close to a benchmark item whose answer differs on
that item's tests; each was coded and run against them when written). The decision rules are tuned on the calibration
set only; this one measures them.

    .venv/bin/python tools/make_planted_holdout.py
"""
import json, re
from pathlib import Path
from wizardcoder_nb import data
HE = {p.task_id: p for p in data.load_benchmark('humaneval')}
MB = {p.task_id: p for p in data.load_benchmark('mbpp')}

rows = []
def add(style, tid, instr, inp="", truth="same"):
    rows.append(dict(style=style, task_id=tid, truth=(tid if truth == "same" else None),
                     instruction=instr, input=inp, output=""))

# ---------------- reworded ----------------
add("reworded", "HumanEval/1", "A string is made of several bracket clusters written one after another, e.g. '(()) ()((()))'. Inside each cluster every '(' is closed by a matching ')', and no cluster sits inside another one; blanks may be scattered anywhere. Break the text up into those top-level clusters, throw away the blanks, and give back the clusters as a list of strings in the order they appear.")
add("reworded", "HumanEval/12", "Pick the entry with the most characters out of a list of strings. When several entries tie for that length, the earliest of them wins, and an empty list should produce None.")
add("reworded", "HumanEval/26", "Take a sequence of integers and drop every value that shows up two or more times - all of its copies, not only the extra ones. Whatever is left keeps its original relative order.")
add("reworded", "HumanEval/21", "Map a list of at least two floats onto the interval [0, 1] with an affine transformation: the minimum value must end up as 0.0, the maximum as 1.0, and every other value is scaled proportionally in between. Return the transformed values in the original order.")
add("reworded", "Mbpp/18", "Take two strings. Produce a copy of the first one from which every character that also occurs anywhere in the second one has been deleted; the characters that survive keep their order.")
add("reworded", "Mbpp/56", "Write a Python function that takes a positive integer and tells whether doubling the number obtained by writing its digits backwards gives exactly the original number plus one.")
add("reworded", "Mbpp/165", "Given a string of letters, count how many of them sit at an index equal to their rank in the alphabet (index 0 for 'a', 1 for 'b', 2 for 'c', ...), treating capital and small letters alike.")
add("reworded", "Mbpp/283", "Check an integer digit by digit: every digit d that appears in it may occur at most d times. Return True if this is satisfied for all of its digits and False otherwise.")

# ---------------- user-story ----------------
add("user-story", "HumanEval/3", "I'm building a tiny budgeting app. The wallet starts empty (balance 0) and I get the transactions in order as a list of integers, positive for money coming in and negative for money going out. I need a function that returns True if the running balance ever drops under zero at any moment, and False if it never does.")
add("user-story", "HumanEval/7", "Our log viewer has a search box. I have all log lines as a list of strings plus whatever the user typed as one string, and I need back only the lines that contain the typed text somewhere inside them, in their original order. An empty list of lines should simply give an empty list.")
add("user-story", "HumanEval/52", "I monitor sensor readings: I get them as a list of numbers together with a limit value. All I need is a yes/no answer - True only when every single reading is strictly smaller than the limit, False as soon as one reaches or exceeds it.")
add("user-story", "HumanEval/121", "My spreadsheet export gives me a non-empty list of integers. My manager wants the total of the values that are odd numbers and also sit at the positions 0, 2, 4, ... of the list. Could you write that function for me?")
add("user-story", "Mbpp/27", "I scraped a bunch of product labels like '4words' or '28Jan', and there are digits mixed in everywhere. Given the list of strings, I need the same list back with every digit character stripped out of each string.")
add("user-story", "Mbpp/174", "I have survey results as a list of (color, number) tuples and the colors repeat. I'd like a dictionary where each color points to a list of all the numbers that came with it, in the order they showed up.")
add("user-story", "Mbpp/465", "My config loader hands me a dictionary, but settings nobody filled in come back with the value None. I need a helper that returns the dictionary without those None entries and leaves everything else as it is.")
add("user-story", "Mbpp/505", "I've got a list of integer readings where 0 means 'no data'. For the dashboard I need all the zeros pushed to the end of the list while the non-zero readings stay in their original order.")

# ---------------- translated ----------------
add("translated", "HumanEval/27", "Écrivez une fonction qui prend une chaîne de caractères et renvoie une nouvelle chaîne dans laquelle chaque lettre minuscule devient majuscule et chaque lettre majuscule devient minuscule ; les autres caractères restent inchangés.")
add("translated", "HumanEval/60", "Schreiben Sie eine Funktion, die für eine positive ganze Zahl n die Summe aller ganzen Zahlen von 1 bis einschließlich n berechnet und zurückgibt.")
add("translated", "HumanEval/112", "Escribe una función que reciba dos cadenas s y c. Elimina de s todos los caracteres que aparezcan en c y después comprueba si la cadena resultante es un palíndromo. Devuelve una tupla con la cadena resultante y True o False según el resultado de esa comprobación.")
add("translated", "HumanEval/155", "Escreva uma função que receba um número inteiro (que pode ser negativo) e retorne uma tupla com a quantidade de dígitos pares e a quantidade de dígitos ímpares do número, nessa ordem.")
add("translated", "Mbpp/59", "Scrivi una funzione che restituisca l'n-esimo numero ottagonale.")
add("translated", "Mbpp/320", "编写一个函数，计算前 n 个自然数之和的平方与前 n 个自然数的平方和之间的差。")
add("translated", "Mbpp/131", "与えられた文字列に含まれる母音（a, e, i, o, u。大文字・小文字の両方）の並び順だけを逆にし、それ以外の文字は元の位置のままにした文字列を返す Python 関数を書いてください。")
add("translated", "Mbpp/244", "Напишите функцию на Python, которая находит следующий полный квадрат, строго больший заданного числа.")

# ---------------- renamed ----------------
def he_renamed(tid, subs):
    s = HE[tid].prompt.rstrip()
    for a, b in subs:
        n = len(re.findall(a, s))
        assert n > 0, (tid, a)
        s = re.sub(a, b, s)
    return "Complete the following Python function.\n\n" + s.lstrip("\n")

add("renamed", "HumanEval/4", he_renamed("HumanEval/4", [(r"\bmean_absolute_deviation\b", "average_spread"), (r"\bnumbers: List", "values: List")]))
add("renamed", "HumanEval/49", he_renamed("HumanEval/49", [(r"\bmodp\b", "pow2_mod"), (r"\bn\b", "exp"), (r"\bp\b", "m")]))
add("renamed", "HumanEval/85", he_renamed("HumanEval/85", [(r"def add\(lst\)", "def sum_even_at_odd(nums)"), (r"\badd\(\[", "sum_even_at_odd(["), (r"integers lst\.", "integers nums.")]))
add("renamed", "HumanEval/15", he_renamed("HumanEval/15", [(r"\bstring_sequence\b", "count_up_string"), (r"\bn\b", "limit")]))

def mb_renamed(tid, newname):
    p = MB[tid]
    t = p.test.strip().split("\n")[0]
    assert p.entry_point in t
    t = re.sub(r"\b%s\b" % re.escape(p.entry_point), newname, t)
    return p.prompt.strip() + "\nYour code should pass this test:\n" + t

add("renamed", "Mbpp/162", mb_renamed("Mbpp/162", "step_down_total"))
add("renamed", "Mbpp/90", mb_renamed("Mbpp/90", "max_word_size"))
add("renamed", "Mbpp/217", mb_renamed("Mbpp/217", "earliest_dup_char"))
add("renamed", "Mbpp/322", mb_renamed("Mbpp/322", "min_indices"))

# ---------------- solution-only ----------------
add("solution-only", "HumanEval/8", "Add comments to this code.",
"def totals(values):\n    running_sum = 0\n    running_prod = 1\n    for v in values:\n        running_sum += v\n        running_prod *= v\n    return running_sum, running_prod")
add("solution-only", "HumanEval/43", "Explain what the following code does.",
"def has_opposite_pair(nums):\n    seen = set()\n    for x in nums:\n        if -x in seen:\n            return True\n        seen.add(x)\n    return False")
add("solution-only", "HumanEval/122", "Refactor this function.",
"def small_sum(arr, k):\n    total = 0\n    for i in range(k):\n        if len(str(arr[i])) <= 2:\n            total = total + arr[i]\n    return total")
add("solution-only", "HumanEval/139", "Write a docstring for this function.",
"from math import factorial\n\ndef superfactorial(n):\n    result = 1\n    for k in range(1, n + 1):\n        result *= factorial(k)\n    return result")
add("solution-only", "Mbpp/86", "Explain what the following code does.",
"def hex_centered(n):\n    total = 1\n    for ring in range(1, n):\n        total += 6 * ring\n    return total")
add("solution-only", "Mbpp/167", "Add comments to this code.",
"def ceil_pow2(n):\n    p = 1\n    while p < n:\n        p <<= 1\n    return p")
add("solution-only", "Mbpp/203", "Refactor this function.",
"def bit_diff(a, b):\n    x = a ^ b\n    count = 0\n    while x:\n        count += x & 1\n        x >>= 1\n    return count")
add("solution-only", "Mbpp/456", "Add type hints to this function.",
"def flip_each(words):\n    out = []\n    for w in words:\n        out.append(w[::-1])\n    return out")

# ---------------- near-miss (HumanEval) ----------------
NM = lambda tid, instr: add("near-miss", tid, instr, truth=None)
NM("HumanEval/3", "You're given a list of deposit and withdrawal amounts for a bank account that starts with a zero balance. Return the lowest balance the account ever reaches while the operations are applied in order (return 0 if it never goes below zero).")
NM("HumanEval/12", "Out of a list of strings, return the shortest one. If several strings share the minimal length, return the last of them. Return None if the list is empty.")
NM("HumanEval/121", "Given a non-empty list of integers, return how many of the elements in even positions are odd.")
NM("HumanEval/21", "Given a list of at least two numbers, apply a linear transform so that the largest number becomes 0 and the smallest becomes 1, i.e. the ordering is flipped. Return the transformed list.")
NM("HumanEval/9", "From a given list of integers, generate a list of the rolling minimum element found until the given moment in the sequence.")
NM("HumanEval/14", "Write a Python function that returns the list of all suffixes of the input string, ordered from the longest to the shortest.")
NM("HumanEval/18", "Find every position where a given substring starts in the original string, overlapping matches included, and return the list of those starting indices.")
NM("HumanEval/24", "For a given number n, find the largest odd number that divides n evenly (n itself is allowed if it is odd).")
NM("HumanEval/31", "Return true if a given number is a perfect number, i.e. it equals the sum of its proper divisors, and false otherwise.")
NM("HumanEval/39", "Write a function that returns the sum of the first n numbers that are both Fibonacci numbers and prime. For example, for n = 3 the numbers are 2, 3 and 5, so the answer is 10.")
NM("HumanEval/46", "The tetranacci sequence is defined by t(0) = 0, t(1) = 1, t(2) = 1, t(3) = 2 and t(n) = t(n-1) + t(n-2) + t(n-3) + t(n-4) for n >= 4. Write an efficient, non-recursive function that returns the n-th element of this sequence.")
NM("HumanEval/56", "brackets is a string of \"<\" and \">\". Return the minimum number of brackets that have to be inserted so that every opening bracket has a corresponding closing bracket and vice versa.")
NM("HumanEval/59", "Return the smallest prime factor of n. Assume n > 1.")
NM("HumanEval/66", "Write a function that takes a string as input and returns the sum of the ASCII codes of its lowercase characters only.")
NM("HumanEval/72", "Write a function that returns True if the object q will fly, and False otherwise. The object q flies if its list of weights is sorted in non-decreasing order and the sum of its elements is less than or equal to the maximum possible weight w.")
NM("HumanEval/96", "Implement a function that takes a non-negative integer n and returns a list containing the first n prime numbers; for example n = 5 gives [2, 3, 5, 7, 11].")
NM("HumanEval/113", "Given a list of strings where each string consists only of digits, return a list of integers in which element i is the sum of the even digits of the i-th string.")
NM("HumanEval/131", "Given a positive integer n, return the sum of its even digits. Return -1 if it has no even digits at all.")
NM("HumanEval/133", "You are given a list of numbers. Round each number down to the nearest integer (floor) first, then return the sum of the squares of the rounded values.")
NM("HumanEval/151", "Given a list of numbers, return the sum of the cubes of the numbers in the list that are even. Ignore numbers that are negative or not integers; an empty list gives 0.")

# ---------------- near-miss (MBPP) ----------------
NM("Mbpp/18", "Write a function that keeps only those characters of the first string that are also present in the second string, in the order they appear in the first string.")
NM("Mbpp/165", "Write a python function to count the lowercase characters in a given string that are at the same position as in the English alphabet (index 0 for 'a', 1 for 'b', ...). Uppercase letters never count.")
NM("Mbpp/505", "Write a function to move all zeroes to the front of the given array, keeping the relative order of the non-zero elements.")
NM("Mbpp/244", "Write a python function to find the largest perfect square that is less than or equal to a given number.")
NM("Mbpp/19", "Given a list of integers, return how many distinct values occur more than once in it.")
NM("Mbpp/32", "Write a python function to find the number of distinct prime factors of a given number.")
NM("Mbpp/45", "Write a function to find the least common multiple (lcm) of the given array elements.")
NM("Mbpp/58", "Check whether all the integers in a given list have the same sign. Zero has no sign, so a list containing a zero should give False.")
NM("Mbpp/66", "Write a python function to count the numbers in a list that are both positive and even.")
NM("Mbpp/77", "Write a python function that returns the product of the even digits of a number minus the product of its odd digits (an empty product counts as 1).")
NM("Mbpp/96", "Write a python function to find the number of odd divisors of a given integer.")
NM("Mbpp/119", "In a sorted array where every element appears exactly once except one element that appears twice, find that repeated element.")
NM("Mbpp/175", "Write a function that returns the length of the longest well-formed (valid) parentheses substring in a string consisting only of '(' and ')'.")
NM("Mbpp/200", "Write a function to find the index of the last occurrence of the maximum value in a given list.")
NM("Mbpp/224", "Write a python function to count the trailing zero bits in the binary representation of a given positive integer.")
NM("Mbpp/226", "Write a python function that keeps only the characters of a given string whose index is a multiple of 3.")
NM("Mbpp/256", "Write a python function to find the sum of all prime numbers less than a given non-negative number.")
NM("Mbpp/267", "Write a python function to find the sum of cubes of the first n odd natural numbers.")
NM("Mbpp/453", "Write a python function to find the sum of the odd factors of a number.")
NM("Mbpp/461", "Return the distinct uppercase letters of a string in the order they first appear.")

assert len(rows) == 80
out = []
for k, r in enumerate(rows):
    out.append({"id": "%s-h%d" % (r["style"], k), "style": r["style"], "task_id": r["task_id"],
                "truth": r["truth"], "instruction": r["instruction"], "input": r["input"], "output": r["output"]})
path = Path(__file__).parent.parent / "wizardcoder_nb" / "resources" / "decontam" / "planted_holdout.jsonl"
with open(path, "w", encoding="utf-8") as f:
    for r in out:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{path}: {len(out)} rows")
